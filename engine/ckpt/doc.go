// Package ckpt reads and writes checkpoints as plain named arrays: it knows
// nothing of engine.Tensor, only of [Tensor], a dtype, a shape and
// little-endian bytes.
//
// Two formats are supported:
//
//   - safetensors (https://github.com/huggingface/safetensors), read and
//     written: [Save] writes a file atomically (a temporary file in the same
//     directory, fsync, rename, fsync of the directory), [Load] reads one and
//     validates every part of it, [ReadHeader] and [ReadMetadata] read only
//     the JSON header. Files written here load in PyTorch with
//     safetensors.torch.load_file.
//   - PyTorch zip checkpoints (torch.save in PyTorch >= 1.6), read only:
//     [LoadPth] returns the state_dict found in the file. The pickle inside is
//     interpreted by github.com/nlpodyssey/gopickle with an allowlist of
//     globals (tensor rebuild functions, storage classes, plain containers and
//     a few inert metadata classes); nothing in the file is ever executed, and
//     a pickle that names any other global (os.system, say) is an error.
//
// Every error names the file and says what was expected and what was found.
package ckpt
