// Package transform holds the training augmentations of ALLNET.md section 2
// ([MTL]) and the resizing the loaders share, applied to every task of a
// data.Sample consistently: random scale in [0.5, 2] with depth divided by
// the scale, crop with padding, horizontal flip negating the normals' x,
// photometric jitter of the image, and ImageNet normalisation.
//
// Transforms never write into the slices a Sample holds when they are
// called: they store new slices in it. A Dataset may therefore hand out
// shared (cached) samples, provided the caller transforms a shallow copy of
// the struct (the loader does). Normalize is the exception: it works in place
// on the image it is given.
//
// Every random transform draws from the *rand.Rand it is handed, in a fixed
// order, so its result depends only on the sample, the options and the
// generator's state.
package transform
