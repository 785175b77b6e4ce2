package store

import "io/fs"

// Sub returns the subtree dir of an embedded filesystem. It panics only on a
// malformed dir name, which is a programming error caught by any test.
func Sub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
