package metrics

import "math"

// Exact one-to-one matching of predicted and ground-truth edge pixels.
//
// BSDS's correspondPixels (used by SEISM and Dollar's edgesEvalImg) links
// every predicted pixel to every ground-truth pixel within maxDist and solves
// a min-cost assignment (CSA) in which a pixel left unmatched costs far more
// than any link; precision and recall then read only which pixels are
// matched. What the counts need is therefore a maximum-cardinality matching
// of that bipartite graph, which Hopcroft-Karp finds exactly. (BSDS adds a
// few random outlier links to keep its assignment feasible, so its counts can
// fall short of the maximum by a pixel or so; ours are the maximum.)

const unreached = math.MaxInt32

// bigraph is a bipartite graph in compressed rows: left node u links to the
// right nodes adj[start[u]:start[u+1]].
type bigraph struct {
	start []int32
	adj   []int32
	nR    int
}

func (g *bigraph) nL() int { return len(g.start) - 1 }

// matcher keeps a matching of a bigraph and grows it to maximum cardinality
// over a chosen set of active left nodes (Hopcroft and Karp 1973), starting
// from the matching it holds (warm start), so that a threshold sweep pays
// only for what changed.
type matcher struct {
	g               *bigraph
	matchL, matchR  []int32 // partner, or -1
	dist, it, queue []int32
	found           int32 // BFS layer of the nearest free right node
	size            int
}

func grow32(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// reset empties the matching for graph g.
func (m *matcher) reset(g *bigraph) {
	m.g = g
	nL := g.nL()
	m.matchL = grow32(m.matchL, nL)
	m.matchR = grow32(m.matchR, g.nR)
	m.dist = grow32(m.dist, nL)
	m.it = grow32(m.it, nL)
	for i := range m.matchL {
		m.matchL[i] = -1
	}
	for i := range m.matchR {
		m.matchR[i] = -1
	}
	m.size = 0
}

// unmatch frees left node u (and its partner).
func (m *matcher) unmatch(u int32) {
	if v := m.matchL[u]; v >= 0 {
		m.matchR[v] = -1
		m.matchL[u] = -1
		m.size--
	}
}

// maximize grows the matching to maximum cardinality in the subgraph of the
// active left nodes. Every matched left node must be active.
func (m *matcher) maximize(active []int32) {
	g := m.g
	// Greedy: a free node with a free neighbour takes it.
	for _, u := range active {
		if m.matchL[u] >= 0 {
			continue
		}
		for _, v := range g.adj[g.start[u]:g.start[u+1]] {
			if m.matchR[v] < 0 {
				m.matchL[u], m.matchR[v] = v, u
				m.size++
				break
			}
		}
	}
	for m.bfs(active) {
		for _, u := range active {
			m.it[u] = g.start[u]
		}
		for _, u := range active {
			if m.matchL[u] < 0 && m.dfs(u) {
				m.size++
			}
		}
	}
}

// bfs layers the active left nodes by alternating-path distance from the free
// ones and reports whether a free right node is reachable.
func (m *matcher) bfs(active []int32) bool {
	g := m.g
	q := m.queue[:0]
	for _, u := range active {
		if m.matchL[u] < 0 {
			m.dist[u] = 0
			q = append(q, u)
		} else {
			m.dist[u] = unreached
		}
	}
	m.found = unreached
	for i := 0; i < len(q); i++ {
		u := q[i]
		du := m.dist[u]
		if du >= m.found {
			break // queue is in layer order
		}
		for _, v := range g.adj[g.start[u]:g.start[u+1]] {
			w := m.matchR[v]
			if w < 0 {
				if m.found == unreached {
					m.found = du + 1
				}
			} else if m.dist[w] == unreached {
				m.dist[w] = du + 1
				q = append(q, w)
			}
		}
	}
	m.queue = q
	return m.found != unreached
}

// dfs looks for a shortest augmenting path from u along the BFS layers and
// flips it.
func (m *matcher) dfs(u int32) bool {
	g := m.g
	du := m.dist[u]
	for end := g.start[u+1]; m.it[u] < end; m.it[u]++ {
		v := g.adj[m.it[u]]
		w := m.matchR[v]
		if w < 0 {
			if du+1 != m.found {
				continue
			}
		} else if m.dist[w] != du+1 || !m.dfs(w) {
			continue
		}
		m.matchL[u], m.matchR[v] = v, u
		m.it[u]++
		return true
	}
	m.dist[u] = unreached
	return false
}
