//go:build !linux

package model

import "os"

// openFileKind opens path for reading; fstat judges it afterwards (no
// O_PATH here).
func openFileKind(path string, flags int) (*os.File, error) { return openByPath(path, flags) }
