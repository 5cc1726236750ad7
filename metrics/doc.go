// Package metrics scores dense predictions the way the multi-task and
// restoration literature does, so that numbers compare with published
// tables: mIoU (semantic segmentation and human parts), depth errors, surface
// normal angle errors, saliency maxF, edge odsF/oisF/AP, restoration PSNR and
// SSIM, and the multi-task gain Delta_MTL.
//
// It knows nothing of the engine or of files: every accumulator takes plain
// row-major slices with explicit sizes ([]int32 labels, []float32 maps,
// channels-first (C, H, W) for vectors and images, []uint8 for 0-255 maps).
//
// Each metric is a streaming accumulator: Add scores one image, Result reads
// the dataset-level numbers at any time (Result does not change the state).
// Add returns an error for malformed input (sizes that disagree, labels out
// of range, non-finite predictions); constructors panic on invalid arguments,
// which are programming errors.
//
// Concurrency: an accumulator is not safe for concurrent use. Give each
// worker goroutine its own accumulator and combine them with Merge (all
// accumulators here are sums, so the merged result is independent of how
// images were split among workers, up to float64 rounding). EvaluateEdges
// does this for the edge metric, the only expensive one.
//
// Numbers that JSON cannot hold (NaN when a metric is undefined, for example
// a depth rmse over zero valid pixels) are Float values, written as null and
// read back as NaN. Fractions are fractions (0.55, not 55); angles are in
// degrees.
//
// Sources of the conventions, cited per metric: [MTL] the multi-task
// codebases (SimonVandenhende/Multi-Task-Learning-PyTorch, brdav/atrc,
// prismformore/Multi-Task-Transformer); [SEISM] jponttuset/seism with Piotr
// Dollar's edge toolbox (edgesEvalImg, edgesNmsMex, convTri, bwmorph thin),
// as wrapped for NYUD-v2 and PASCAL-Context by
// prismformore/Boundary-Detection-Evaluation-Tools; [SKI] scikit-image
// structural_similarity and peak_signal_noise_ratio; [IR] the all-in-one
// restoration codebases (PromptIR, AdaIR, MoCE-IR).
package metrics
