package metrics

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randomBigraph(rng *rand.Rand, nL, nR int, p float64) *bigraph {
	g := &bigraph{start: make([]int32, nL+1), nR: nR}
	for u := 0; u < nL; u++ {
		g.start[u] = int32(len(g.adj))
		for v := 0; v < nR; v++ {
			if rng.Float64() < p {
				g.adj = append(g.adj, int32(v))
			}
		}
	}
	g.start[nL] = int32(len(g.adj))
	return g
}

func hasEdge(g *bigraph, u, v int32) bool {
	for _, w := range g.adj[g.start[u]:g.start[u+1]] {
		if w == v {
			return true
		}
	}
	return false
}

// bruteMaxMatching returns the maximum matching size among the active left
// nodes by trying every assignment (small graphs only).
func bruteMaxMatching(g *bigraph, active []int32) int {
	used := make([]bool, g.nR)
	var rec func(i int) int
	rec = func(i int) int {
		if i == len(active) {
			return 0
		}
		best := rec(i + 1) // leave active[i] unmatched
		u := active[i]
		for _, v := range g.adj[g.start[u]:g.start[u+1]] {
			if !used[v] {
				used[v] = true
				best = max(best, 1+rec(i+1))
				used[v] = false
			}
		}
		return best
	}
	return rec(0)
}

// checkMatching verifies that m is a valid matching of g over the active
// nodes (no node matched twice, matchL and matchR agree, every pair is an
// edge, the size is right) and that no augmenting path exists (Berge: then
// it is maximum), searched by a plain DFS independent of the matcher.
func checkMatching(t *testing.T, g *bigraph, m *matcher, active []int32) {
	t.Helper()
	isActive := make([]bool, g.nL())
	for _, u := range active {
		isActive[u] = true
	}
	seenR := make([]bool, g.nR)
	size := 0
	for u := int32(0); int(u) < g.nL(); u++ {
		v := m.matchL[u]
		if v < 0 {
			continue
		}
		require.True(t, isActive[u], "inactive left %d matched", u)
		require.False(t, seenR[v], "right %d matched twice", v)
		seenR[v] = true
		require.Equal(t, u, m.matchR[v], "matchR disagrees")
		require.True(t, hasEdge(g, u, v), "matched pair %d-%d is not an edge", u, v)
		size++
	}
	for v, u := range m.matchR {
		if u >= 0 {
			require.Equal(t, int32(v), m.matchL[u])
		}
	}
	require.Equal(t, size, m.size)
	// No augmenting path from any free active left node.
	visited := make([]bool, g.nR)
	var augment func(u int32) bool
	augment = func(u int32) bool {
		for _, v := range g.adj[g.start[u]:g.start[u+1]] {
			if visited[v] {
				continue
			}
			visited[v] = true
			if m.matchR[v] < 0 || augment(m.matchR[v]) {
				return true
			}
		}
		return false
	}
	for _, u := range active {
		if m.matchL[u] < 0 {
			clear(visited)
			require.False(t, augment(u), "augmenting path from %d", u)
		}
	}
}

func TestMatchingIsMaximumOnSmallRandomGraphs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for it := 0; it < 400; it++ {
		nL, nR := 1+rng.IntN(7), 1+rng.IntN(7)
		g := randomBigraph(rng, nL, nR, rng.Float64())
		var active []int32
		for u := 0; u < nL; u++ {
			if rng.IntN(4) > 0 {
				active = append(active, int32(u))
			}
		}
		var m matcher
		m.reset(g)
		m.maximize(active)
		checkMatching(t, g, &m, active)
		require.Equal(t, bruteMaxMatching(g, active), m.size)
	}
}

// TestMatchingWarmStartSweep changes the active set the way the threshold
// sweep does (mostly growing, sometimes dropping nodes) and checks after
// each step that the carried-over matching was grown to a maximum one.
func TestMatchingWarmStartSweep(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for it := 0; it < 60; it++ {
		nL, nR := 20+rng.IntN(200), 20+rng.IntN(200)
		g := randomBigraph(rng, nL, nR, 3/float64(nR)+rng.Float64()*0.05)
		var m matcher
		m.reset(g)
		on := make([]bool, nL)
		for step := 0; step < 15; step++ {
			for u := range on {
				switch r := rng.Float64(); {
				case r < 0.25:
					on[u] = true
				case r < 0.30 && on[u]:
					on[u] = false
					m.unmatch(int32(u))
				}
			}
			var active []int32
			for u, a := range on {
				if a {
					active = append(active, int32(u))
				}
			}
			m.maximize(active)
			checkMatching(t, g, &m, active)
			var fresh matcher
			fresh.reset(g)
			fresh.maximize(active)
			require.Equal(t, fresh.size, m.size)
		}
	}
}
