package backend

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Factory opens device index of a backend. It returns an error (never panics)
// when the device cannot be used.
type Factory func(index int) (Backend, error)

// Info describes a registered backend for listings such as `allnet-cli info`.
type Info struct {
	Name string
	// Devices reports the devices this backend can open; it may be slow (it
	// may initialise a driver) and may return an error that says why none
	// are available.
	Devices func() ([]string, error)
}

var (
	regMu     sync.Mutex
	factories = map[string]Factory{}
	infos     = map[string]Info{}
	opened    = map[string]Backend{}
)

// Register makes a backend available under name. It panics when name is
// registered twice.
func Register(name string, f Factory, info Info) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := factories[name]; dup {
		panic("backend: Register called twice for " + name)
	}
	info.Name = name
	factories[name] = f
	infos[name] = info
}

// Registered lists the registered backends, sorted by name.
func Registered() []Info {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]Info, 0, len(infos))
	for _, i := range infos {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// ParseDevice splits a device string "name" or "name:N" into the backend name
// and the device index.
func ParseDevice(s string) (name string, index int, err error) {
	name, idx, found := strings.Cut(s, ":")
	if name == "" {
		return "", 0, fmt.Errorf("device %q: expected cpu, cuda or cuda:N", s)
	}
	if found {
		index, err = strconv.Atoi(idx)
		if err != nil || index < 0 {
			return "", 0, fmt.Errorf("device %q: expected a non-negative device index after ':', found %q", s, idx)
		}
	}
	return name, index, nil
}

// Open returns the backend for a device string such as "cpu" or "cuda:1".
// Each device is opened once and shared.
func Open(device string) (Backend, error) {
	name, index, err := ParseDevice(device)
	if err != nil {
		return nil, err
	}
	key := name + ":" + strconv.Itoa(index)
	regMu.Lock()
	if b, ok := opened[key]; ok {
		regMu.Unlock()
		return b, nil
	}
	f, ok := factories[name]
	var known []string
	for n := range factories {
		known = append(known, n)
	}
	regMu.Unlock()
	if !ok {
		sort.Strings(known)
		return nil, fmt.Errorf("device %q: no backend named %q in this binary (available: %s)", device, name, strings.Join(known, ", "))
	}
	b, err := f(index)
	if err != nil {
		return nil, fmt.Errorf("device %q: %w", device, err)
	}
	regMu.Lock()
	defer regMu.Unlock()
	if prev, ok := opened[key]; ok {
		return prev, nil
	}
	opened[key] = b
	return b, nil
}
