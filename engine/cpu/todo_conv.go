package cpu

// Placeholders until the conv/resize/pool primitives land; this file is deleted then.

import "allnet/engine/backend"

func (*CPU) Im2col(col, img backend.Buffer, g backend.ConvGeom)           { panic("todo") }
func (*CPU) Col2im(img, col backend.Buffer, g backend.ConvGeom)           { panic("todo") }
func (*CPU) Resize(y, x backend.Buffer, n, c, h, w, oh, ow int)           { panic("todo") }
func (*CPU) ResizeBackward(dx, dy backend.Buffer, n, c, h, w, oh, ow int) { panic("todo") }
func (*CPU) AvgPool(y, x backend.Buffer, g backend.PoolGeom)              { panic("todo") }
func (*CPU) AvgPoolBackward(dx, dy backend.Buffer, g backend.PoolGeom)    { panic("todo") }
