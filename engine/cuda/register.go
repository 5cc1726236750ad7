package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// RegisterDriver makes the backend available as "cuda" (backend.Open
// "cuda" or "cuda:N"): open returns the driver of device N, devices lists
// the devices. driver_cu.go calls it from init in the cuda build; binaries
// without a driver have no "cuda" backend.
func RegisterDriver(open func(index int) (Driver, error), devices func() ([]string, error)) {
	backend.Register("cuda", func(index int) (backend.Backend, error) {
		drv, err := open(index)
		if err != nil {
			return nil, err
		}
		b, err := New(drv, index)
		if err != nil {
			drv.Close()
			return nil, fmt.Errorf("cuda:%d: %w", index, err)
		}
		return b, nil
	}, backend.Info{Devices: devices})
}
