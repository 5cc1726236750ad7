package cpu

// packA copies rows [i0, i0+mb) and columns [p0, p0+kb) of op(A), where A
// starts at a[base] with leading dimension lda, into dst as panels of
// gemmMR rows: row i0+ir+i, column p0+p goes to dst[ir*kb + p*gemmMR + i]
// for ir a multiple of gemmMR. Rows past mb in the last panel are zero.
func packA[T Float](dst, a []T, base, lda int, trans bool, i0, mb, p0, kb int) {
	for ir := 0; ir < mb; ir += gemmMR {
		d := dst[ir*kb : (ir+gemmMR)*kb]
		mm := min(gemmMR, mb-ir)
		switch {
		case trans:
			// op(A)[i, p] = A[p, i]: each step reads mm consecutive values.
			for p := range kb {
				o := base + (p0+p)*lda + i0 + ir
				q := d[p*gemmMR : p*gemmMR+gemmMR]
				if mm == gemmMR {
					s := a[o : o+gemmMR]
					q[0], q[1], q[2], q[3] = s[0], s[1], s[2], s[3]
				} else {
					clear(q[copy(q, a[o:o+mm]):])
				}
			}
		case mm == gemmMR:
			o := base + (i0+ir)*lda + p0
			r0 := a[o : o+kb]
			r1, r2, r3 := a[o+lda:][:len(r0)], a[o+2*lda:][:len(r0)], a[o+3*lda:][:len(r0)]
			for p, v := range r0 {
				q := d[p*gemmMR:][:gemmMR]
				q[0], q[1], q[2], q[3] = v, r1[p], r2[p], r3[p]
			}
		default:
			clear(d)
			for i := range mm {
				o := base + (i0+ir+i)*lda + p0
				for p, v := range a[o : o+kb] {
					d[p*gemmMR+i] = v
				}
			}
		}
	}
}

// packB copies rows [p0, p0+kb) and columns [j0, j0+nb) of op(B), where B
// starts at b[base] with leading dimension ldb, into dst as panels of
// gemmNR columns: row p0+p, column j0+jr+j goes to dst[jr*kb + p*gemmNR + j]
// for jr a multiple of gemmNR. Columns past nb in the last panel are zero.
func packB[T Float](dst, b []T, base, ldb int, trans bool, p0, kb, j0, nb int) {
	for jr := 0; jr < nb; jr += gemmNR {
		d := dst[jr*kb : (jr+gemmNR)*kb]
		nn := min(gemmNR, nb-jr)
		switch {
		case trans && nn == gemmNR:
			// op(B)[p, j] = B[j, p]: the panel's columns are rows of B.
			o := base + (j0+jr)*ldb + p0
			r0 := b[o : o+kb]
			r1 := b[o+ldb:][:len(r0)]
			for p, v := range r0 {
				q := d[p*gemmNR:][:gemmNR]
				q[0], q[1] = v, r1[p]
			}
		case trans:
			clear(d)
			o := base + (j0+jr)*ldb + p0
			for p, v := range b[o : o+kb] {
				d[p*gemmNR] = v
			}
		case nn == gemmNR:
			for p := range kb {
				o := base + (p0+p)*ldb + j0 + jr
				s, q := b[o:o+gemmNR], d[p*gemmNR:p*gemmNR+gemmNR]
				q[0], q[1] = s[0], s[1]
			}
		default:
			for p := range kb {
				o := base + (p0+p)*ldb + j0 + jr
				d[p*gemmNR], d[p*gemmNR+1] = b[o], 0
			}
		}
	}
}
