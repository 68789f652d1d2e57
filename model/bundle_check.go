package model

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Finding is one check result on a bundle that does not depend on the
// clock (expiry and drift are judged later, at classification time).
type Finding struct {
	Status Status
	Reason string
}

// BundleFacts is what a bundle read established, as plain values: no key
// material, no parsed key, no file bytes.
type BundleFacts struct {
	Time    time.Time
	Layout  string
	Version string
	Files   []BundleFile // Data always nil
	// Leaf is the certificate the bundle serves (fullchain's first, else
	// cert's, else the single file's); nil when none could be read.
	Leaf  *CertInfo
	Chain []CertInfo // intermediates as the server would send them
	// HasKey is true when a private key was parsed; KeyMatch is true when
	// every key in the bundle is the private half of Leaf.
	HasKey   bool
	KeyForm  string
	KeyMatch bool
	Findings []Finding
	// leafCert is kept for host name checks against serving endpoints; it
	// is public data.
	leafCert *x509.Certificate
}

func (f *BundleFacts) add(s Status, format string, args ...any) {
	f.Findings = append(f.Findings, Finding{Status: s, Reason: fmt.Sprintf(format, args...)})
}

// parsedFile is one file's parse result; the key never leaves inspectBundle.
type parsedFile struct {
	file *BundleFile
	pem  *PEMContents
}

// inspectBundle runs every disk-side check of issue 4 on a snapshot. It
// reads only s (no I/O), and never formats file bytes or keys into a
// finding: messages name files, modes, serials and positions only.
func inspectBundle(s *BundleSnapshot, b Bundle) *BundleFacts {
	f := &BundleFacts{Time: s.Time, Layout: s.Layout, Version: s.Version}
	for _, bf := range s.Files {
		bf.Data = nil
		f.Files = append(f.Files, bf)
	}
	if s.Err != "" {
		f.add(Error, "%s", s.Err)
		return f
	}
	roots := bundleRoots(s, b, f)

	byRole := map[FileRole]*parsedFile{}
	var keyed []*parsedFile
	failed := false
	for i := range s.Files {
		bf := &s.Files[i]
		if bf.Err != "" {
			f.add(Error, "%s: %s", bf.Name, bf.Err)
			failed = true
			continue
		}
		if bf.Role == RoleLink {
			continue
		}
		if bf.Role == RoleChain && len(bytes.TrimSpace(bf.Data)) == 0 {
			// A leaf issued straight by a root has no intermediates.
			byRole[bf.Role] = &parsedFile{file: bf, pem: &PEMContents{}}
			continue
		}
		pc, err := ParsePEM(bf.Data)
		if err == nil {
			err = truncatedTail(bf.Data)
		}
		if err != nil {
			f.add(Error, "%s: %v", bf.Name, err)
			failed = true
			continue
		}
		p := &parsedFile{file: bf, pem: pc}
		if pc.Key != nil {
			keyed = append(keyed, p)
			if perm := bf.Mode.Perm(); perm&0o044 != 0 {
				f.add(Crit, "%s is mode %04o: readable by group/others", bf.Name, perm)
			}
		}
		switch {
		case bf.Role == RoleKey && pc.Key == nil:
			f.add(Error, "%s holds no private key", bf.Name)
			failed = true
		case bf.Role != RoleKey && len(pc.Certs) == 0:
			f.add(Error, "%s holds no certificate", bf.Name)
			failed = true
		}
		byRole[bf.Role] = p
	}
	checkGenerations(s.Files, f)

	served := servedChain(byRole)
	if len(served) == 0 {
		if !failed {
			f.add(Error, "no certificate in the bundle")
		}
		return f
	}
	leaf := served[0]
	f.leafCert = leaf
	info := DescribeCert(leaf)
	f.Leaf = &info
	for _, c := range served[1:] {
		f.Chain = append(f.Chain, DescribeCert(c))
	}
	checkSameLeaf(byRole, leaf, f)
	checkKeys(keyed, leaf, failed, f)
	for _, p := range ChainOrderProblems(served) {
		f.add(Warn, "chain order: %s", p)
	}
	if err := VerifyChain(served, roots, "", s.Time); err != nil {
		f.add(Crit, "chain does not verify: %s", ExplainVerifyError(err, s.Time))
	}
	if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
		f.add(Crit, "certificate has no subject alternative names: clients reject it for every host name")
	}
	return f
}

// bundleRoots parses the bundle's ca: file; nil means the system roots.
func bundleRoots(s *BundleSnapshot, b Bundle, f *BundleFacts) *x509.CertPool {
	if s.CAErr != "" {
		f.add(Error, "ca %s: %s", b.CAFile, s.CAErr)
	}
	if len(s.CA) == 0 {
		return nil
	}
	pc, err := ParsePEM(s.CA)
	if err != nil || len(pc.Certs) == 0 {
		if err == nil {
			err = fmt.Errorf("holds no certificate")
		}
		f.add(Error, "ca %s: %v", b.CAFile, err)
		return nil
	}
	pool := x509.NewCertPool()
	for _, c := range pc.Certs {
		pool.AddCert(c)
	}
	return pool
}

// servedChain is what a server configured from this bundle sends: the
// fullchain when there is one, else cert + chain, else the single file.
func servedChain(byRole map[FileRole]*parsedFile) []*x509.Certificate {
	certs := func(r FileRole) []*x509.Certificate {
		if p := byRole[r]; p != nil {
			return p.pem.Certs
		}
		return nil
	}
	if c := certs(RoleFullchain); len(c) > 0 {
		return c
	}
	if c := certs(RoleCert); len(c) > 0 {
		if len(c) > 1 {
			return c // pair layout: the cert file carries its chain
		}
		return append(append([]*x509.Certificate(nil), c...), certs(RoleChain)...)
	}
	return certs(RoleCombined)
}

// checkSameLeaf catches files of one bundle that hold different
// certificates: a renewal caught half-way.
func checkSameLeaf(byRole map[FileRole]*parsedFile, leaf *x509.Certificate, f *BundleFacts) {
	cert, full, chain := byRole[RoleCert], byRole[RoleFullchain], byRole[RoleChain]
	if cert == nil || full == nil || len(cert.pem.Certs) == 0 {
		return
	}
	c := cert.pem.Certs[0]
	if !c.Equal(leaf) {
		f.add(Crit, "mixed vintage: %s holds serial %s but %s starts with serial %s",
			cert.file.Name, SerialHex(c.SerialNumber), full.file.Name, SerialHex(leaf.SerialNumber))
		return
	}
	if chain == nil {
		return
	}
	want := append([]*x509.Certificate{c}, chain.pem.Certs...)
	if !sameCerts(want, full.pem.Certs) {
		f.add(Warn, "%s is not %s + %s (the intermediates differ)", full.file.Name, cert.file.Name, chain.file.Name)
	}
}

func sameCerts(a, b []*x509.Certificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// checkKeys compares every private key in the bundle with the served leaf.
func checkKeys(keyed []*parsedFile, leaf *x509.Certificate, failed bool, f *BundleFacts) {
	if len(keyed) == 0 {
		if !failed {
			f.add(Error, "no private key in the bundle")
		}
		return
	}
	f.HasKey, f.KeyMatch, f.KeyForm = true, true, keyed[0].pem.KeyForm
	for _, p := range keyed {
		if !KeyMatchesCert(p.pem.Key, leaf) {
			f.KeyMatch = false
			f.add(Crit, "mixed vintage: the key in %s does not match the certificate (serial %s)",
				p.file.Name, SerialHex(leaf.SerialNumber))
		}
	}
}

// certbotArchiveName matches the files certbot keeps under archive/NAME/:
// cert3.pem, chain3.pem, fullchain3.pem, privkey3.pem.
var certbotArchiveName = regexp.MustCompile(`^(?:cert|chain|fullchain|privkey)(\d+)\.pem$`)

// LinkGeneration returns the certbot archive generation a link target names
// ("../../archive/web/cert3.pem" → 3); ok is false for other targets.
func LinkGeneration(target string) (gen int, ok bool) {
	m := certbotArchiveName.FindStringSubmatch(path.Base(target))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// checkGenerations flags certbot links that point at different archive
// generations: the state between certbot re-pointing cert.pem and
// privkey.pem, when a server (re)starting loads a new certificate with an
// old key.
func checkGenerations(files []BundleFile, f *BundleFacts) {
	gens := map[int][]string{}
	for _, bf := range files {
		if g, ok := LinkGeneration(bf.Target); ok {
			gens[g] = append(gens[g], fmt.Sprintf("%s -> %s", bf.Name, path.Base(bf.Target)))
		}
	}
	switch len(gens) {
	case 0:
		return
	case 1:
		for g := range gens {
			if f.Version == "" {
				f.Version = strconv.Itoa(g)
			}
		}
		return
	}
	keys := make([]int, 0, len(gens))
	for g := range gens {
		keys = append(keys, g)
	}
	sort.Ints(keys)
	var parts []string
	for _, g := range keys {
		parts = append(parts, strings.Join(gens[g], ", "))
	}
	f.Version = ""
	f.add(Crit, "mixed vintage: links point at different archive generations (%s)", strings.Join(parts, "; "))
}

// truncatedTail finds a PEM block that starts but never decodes after the
// good ones: ParsePEM stops quietly there, and a file cut short mid-copy
// would otherwise pass with its last certificate missing.
func truncatedTail(data []byte) error {
	rest, n := data, 0
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest, n = r, n+1
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return fmt.Errorf("truncated or malformed PEM block after block %d", n)
	}
	return nil
}
