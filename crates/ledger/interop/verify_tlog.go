// Command verify_tlog checks a veedor transparency log with Go's reference
// implementation, golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.
//
// The directory holds:
//
//	checkpoint               the signed checkpoint (C2SP tlog-checkpoint)
//	tile/8/<L>/<N>[.p/<W>]   hash tiles in Go's layout (Tile.Path with H = 8)
//	tile/entries/<N>[.p/<W>] entry bundles in the C2SP layout
//
// It opens the checkpoint with note.Open and the verifier key; rebuilds the
// tree from the entry bundles with tlog.StoredHashes, as Go's checksum
// database does, and requires the checkpoint's root and, byte for byte, every
// hash tile we wrote; then reads our tiles through tlog.TileHashReader and
// proves and checks the inclusion of the given entries (tlog.ProveRecord,
// tlog.CheckRecord) and the consistency with an older checkpoint
// (tlog.ProveTree, tlog.CheckTree). It prints OK and the number of tiles, or
// fails with a non-zero exit.
//
// It builds in GOPATH mode against Debian's golang-golang-x-mod-dev, without
// downloading modules:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run verify_tlog.go \
//	    -dir DIR -key VERIFIER_KEY -old OLD_CHECKPOINT -index 0,5,999
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

// tileDir reads hash tiles from a directory in Go's layout.
type tileDir struct{ dir string }

func (t tileDir) Height() int { return tileHeight }

func (t tileDir) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := os.ReadFile(filepath.Join(t.dir, filepath.FromSlash(tile.Path())))
		if err != nil {
			return nil, err
		}
		if len(b) != tile.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", tile.Path(), len(b), tile.W*tlog.HashSize)
		}
		data[i] = b
	}
	return data, nil
}

func (t tileDir) SaveTiles([]tlog.Tile, [][]byte) {}

// openCheckpoint verifies a signed checkpoint and parses its first three lines.
func openCheckpoint(path string, verifier note.Verifier) (tlog.Tree, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return tlog.Tree{}, err
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("%s: %v", path, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return tlog.Tree{}, fmt.Errorf("%s: checkpoint has fewer than three lines", path)
	}
	if lines[0] != verifier.Name() {
		return tlog.Tree{}, fmt.Errorf("%s: origin %q is not the key name %q", path, lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return tlog.Tree{}, fmt.Errorf("%s: bad tree size %q", path, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("%s: bad root hash %q", path, lines[2])
	}
	var hash tlog.Hash
	copy(hash[:], root)
	return tlog.Tree{N: size, Hash: hash}, nil
}

// readBundle reads entry bundle n of a tree of the given size from its C2SP
// path: the path of Go's data tile with "tile/8/data/" replaced by
// "tile/entries/".
func readBundle(dir string, size, n int64) ([][]byte, error) {
	w := size - n*(1<<tileHeight)
	if w > 1<<tileHeight {
		w = 1 << tileHeight
	}
	t := tlog.Tile{H: tileHeight, L: -1, N: n, W: int(w)}
	path := strings.Replace(t.Path(), fmt.Sprintf("tile/%d/data/", tileHeight), "tile/entries/", 1)
	bundle, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		return nil, err
	}
	var entries [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			return nil, fmt.Errorf("%s: truncated length", path)
		}
		length := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+length {
			return nil, fmt.Errorf("%s: truncated entry", path)
		}
		entries = append(entries, bundle[2:2+length])
		bundle = bundle[2+length:]
	}
	if int64(len(entries)) != w {
		return nil, fmt.Errorf("%s: %d entries, want %d", path, len(entries), w)
	}
	return entries, nil
}

// readEntries reads every entry of the tree from the entry bundles.
func readEntries(dir string, size int64) ([][]byte, error) {
	var entries [][]byte
	for n := int64(0); n*(1<<tileHeight) < size; n++ {
		bundle, err := readBundle(dir, size, n)
		if err != nil {
			return nil, err
		}
		entries = append(entries, bundle...)
	}
	return entries, nil
}

// storedHashes builds the tree from the entries as the Go checksum database
// server does, with tlog.StoredHashes, independently of our tiles.
func storedHashes(entries [][]byte) (tlog.HashReaderFunc, error) {
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hashes := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("stored hash %d not yet computed", x)
			}
			hashes[i] = stored[x]
		}
		return hashes, nil
	})
	for i, entry := range entries {
		hashes, err := tlog.StoredHashes(int64(i), entry, reader)
		if err != nil {
			return nil, err
		}
		stored = append(stored, hashes...)
	}
	return reader, nil
}

func run() (int, error) {
	dir := flag.String("dir", "", "directory with checkpoint, tile/8/... and tile/entries/...")
	key := flag.String("key", "", "verifier key string")
	old := flag.String("old", "", "an older signed checkpoint to prove consistency with")
	indexList := flag.String("index", "", "comma-separated entry indexes to prove")
	flag.Parse()

	verifier, err := note.NewVerifier(*key)
	if err != nil {
		return 0, fmt.Errorf("verifier key: %v", err)
	}
	tree, err := openCheckpoint(filepath.Join(*dir, "checkpoint"), verifier)
	if err != nil {
		return 0, err
	}
	// Go rebuilds the tree from our entry bundles: it must give the
	// checkpoint's root, and every tile we wrote must be the tile Go computes.
	entries, err := readEntries(*dir, tree.N)
	if err != nil {
		return 0, err
	}
	goTree, err := storedHashes(entries)
	if err != nil {
		return 0, err
	}
	goRoot, err := tlog.TreeHash(tree.N, goTree)
	if err != nil {
		return 0, fmt.Errorf("tree hash of the entries: %v", err)
	}
	if goRoot != tree.Hash {
		return 0, errors.New("the entries do not hash to the checkpoint's root")
	}
	// NewTiles also lists the narrower partial tiles of earlier sizes, which
	// the tree of this size does not have.
	var tiles []tlog.Tile
	for _, t := range tlog.NewTiles(tileHeight, 0, tree.N) {
		hashes := tree.N >> uint(t.L*tileHeight)
		if t.W == 1<<tileHeight || int64(t.W) == hashes-t.N<<tileHeight {
			tiles = append(tiles, t)
		}
	}
	for _, t := range tiles {
		want, err := tlog.ReadTileData(t, goTree)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", t.Path(), err)
		}
		got, err := os.ReadFile(filepath.Join(*dir, filepath.FromSlash(t.Path())))
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(got, want) {
			return 0, fmt.Errorf("%s differs from the tile Go computes from the entries", t.Path())
		}
	}

	// Our tiles, read and authenticated by tlog.TileHashReader, give the root
	// and the proofs.
	reader := tlog.TileHashReader(tree, tileDir{*dir})
	root, err := tlog.TreeHash(tree.N, reader)
	if err != nil {
		return 0, fmt.Errorf("tree hash: %v", err)
	}
	if root != tree.Hash {
		return 0, errors.New("tree hash differs from the checkpoint")
	}

	if *indexList != "" {
		for _, field := range strings.Split(*indexList, ",") {
			index, err := strconv.ParseInt(field, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("index %q: %v", field, err)
			}
			if index < 0 || index >= int64(len(entries)) {
				return 0, fmt.Errorf("entry %d is not in the tree", index)
			}
			leaf := tlog.RecordHash(entries[index])
			proof, err := tlog.ProveRecord(tree.N, index, reader)
			if err != nil {
				return 0, fmt.Errorf("prove entry %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, leaf); err != nil {
				return 0, fmt.Errorf("check entry %d: %v", index, err)
			}
		}
	}

	if *old != "" {
		oldTree, err := openCheckpoint(*old, verifier)
		if err != nil {
			return 0, err
		}
		proof, err := tlog.ProveTree(tree.N, oldTree.N, reader)
		if err != nil {
			return 0, fmt.Errorf("prove consistency %d -> %d: %v", oldTree.N, tree.N, err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, oldTree.N, oldTree.Hash); err != nil {
			return 0, fmt.Errorf("check consistency %d -> %d: %v", oldTree.N, tree.N, err)
		}
	}
	return len(tiles), nil
}

func main() {
	tiles, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify_tlog:", err)
		os.Exit(1)
	}
	fmt.Printf("OK tiles=%d\n", tiles)
}
