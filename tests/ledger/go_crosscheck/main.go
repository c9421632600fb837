// A third-party cross-check of saksi's C2SP log: Go's golang.org/x/mod/sumdb
// note and tlog packages (the reference implementations the C2SP formats come
// from) verify our checkpoint, tiles, entry bundles and proofs. Built from
// Debian's golang-golang-x-mod-dev in GOPATH mode by tests/ledger/test_go_crosscheck.py.
//
// usage: crosscheck LOGDIR VKEY TLOGPROOF_FILE CONSISTENCY_FILE OLDSIZE
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// tilePath encodes N as C2SP tlog-tiles does: x001/x234/067, plus .p/W for partial tiles.
func tilePath(level string, n, width int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	p := "tile/" + level + "/" + s
	if width < 256 {
		p += fmt.Sprintf(".p/%d", width)
	}
	return p
}

func openCheckpoint(text []byte, v note.Verifier) (string, int64, tlog.Hash) {
	n, err := note.Open(text, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != 32 {
		fail("checkpoint root: %v", err)
	}
	var root tlog.Hash
	copy(root[:], raw)
	return lines[0], size, root
}

func readHashes(lines []string) []tlog.Hash {
	var out []tlog.Hash
	for _, l := range lines {
		if l == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(raw) != 32 {
			fail("proof line %q", l)
		}
		var h tlog.Hash
		copy(h[:], raw)
		out = append(out, h)
	}
	return out
}

func main() {
	logdir, vkey, proofFile, consistencyFile := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	oldSize, _ := strconv.ParseInt(os.Args[5], 10, 64)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	cp, err := os.ReadFile(filepath.Join(logdir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	origin, size, root := openCheckpoint(cp, v)
	if origin != v.Name() {
		fail("origin %q is not the key name %q", origin, v.Name())
	}

	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var leaves []tlog.Hash
	var entries [][]byte
	for n := int64(0); n*256 < size; n++ {
		width := size - n*256
		if width > 256 {
			width = 256
		}
		bundle, err := os.ReadFile(filepath.Join(logdir, tilePath("entries", n, width)))
		if err != nil {
			fail("%v", err)
		}
		for count := int64(0); count < width; count++ {
			if len(bundle) < 2 {
				fail("bundle %d ends early", n)
			}
			l := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+l {
				fail("bundle %d: entry longer than the bundle", n)
			}
			entry := bundle[2 : 2+l]
			bundle = bundle[2+l:]
			h := tlog.RecordHash(entry)
			more, err := tlog.StoredHashesForRecordHash(int64(len(leaves)), h, reader)
			if err != nil {
				fail("%v", err)
			}
			stored = append(stored, more...)
			leaves = append(leaves, h)
			entries = append(entries, entry)
		}
		if len(bundle) != 0 {
			fail("bundle %d has trailing bytes", n)
		}
	}
	// Every hash of every tile at every level against what tlog computes.
	for level := 0; ; level++ {
		count := size >> (8 * uint(level))
		if count == 0 {
			break
		}
		for n := int64(0); n*256 < count; n++ {
			width := count - n*256
			if width > 256 {
				width = 256
			}
			tile, err := os.ReadFile(filepath.Join(logdir, tilePath(strconv.Itoa(level), n, width)))
			if err != nil {
				fail("%v", err)
			}
			if int64(len(tile)) != 32*width {
				fail("tile %d/%d has %d bytes, want %d", level, n, len(tile), 32*width)
			}
			for j := int64(0); j < width; j++ {
				want := stored[tlog.StoredHashIndex(8*level, n*256+j)]
				if string(tile[32*j:32*j+32]) != string(want[:]) {
					fail("tile %d/%d hash %d differs", level, n, j)
				}
			}
		}
	}
	th, err := tlog.TreeHash(size, reader)
	if err != nil || th != root {
		fail("tree hash %v does not match the checkpoint root %v (%v)", th, root, err)
	}

	// A tlog-proof receipt: header, index, proof hashes, blank line, checkpoint.
	raw, err := os.ReadFile(proofFile)
	if err != nil {
		fail("%v", err)
	}
	parts := strings.SplitN(string(raw), "\n\n", 2)
	head := strings.Split(parts[0], "\n")
	if head[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(head[1], "index ") {
		fail("not a tlog-proof: %q", head[:2])
	}
	index, _ := strconv.ParseInt(strings.TrimPrefix(head[1], "index "), 10, 64)
	_, psize, proot := openCheckpoint([]byte(parts[1]), v)
	if err := tlog.CheckRecord(readHashes(head[2:]), psize, proot, index, leaves[index]); err != nil {
		fail("inclusion proof of %d in %d: %v", index, psize, err)
	}

	cons, err := os.ReadFile(consistencyFile)
	if err != nil {
		fail("%v", err)
	}
	oldRoot, err := tlog.TreeHash(oldSize, reader)
	if err != nil {
		fail("%v", err)
	}
	if err := tlog.CheckTree(readHashes(strings.Split(string(cons), "\n")), size, root, oldSize, oldRoot); err != nil {
		fail("consistency %d -> %d: %v", oldSize, size, err)
	}
	fmt.Printf("OK %d entries, %d-byte checkpoint, proofs verified\n", len(entries), len(cp))
}
