// Package format reads and writes the file formats of the datasets: PNG and
// JPEG images, NumPy .npy arrays and MATLAB v5 .mat files. It knows nothing
// of the engine; values come back as plain slices with explicit sizes.
//
// Every reader loads the whole file into memory and has a Decode twin that
// parses bytes already in memory (the name it is given only labels errors).
// Errors name the file and say what was expected and what was found.
// Malformed input returns an error and never panics; a header that claims
// more data than the file can hold is rejected before anything that size is
// allocated, so memory stays within a small multiple of the file's size
// (zlib-compressed content within deflate's maximal ratio, 1032:1).
//
// Writers replace their target atomically: they write a temporary file in the
// same folder and rename it over the target, so an interrupted run never
// leaves a half-written file under the final name (there is no fsync: this
// guards against interruption, not power loss).
package format
