package ui

import (
	"io/fs"
	"math/big"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// bundleLeaf is a self-signed certificate with a fixed serial and dates
// around fixedNow, trusted as its own root: pki's CAs are minted at the
// real time, and golden screens need a chain that verifies at fixedNow.
func bundleLeaf(t testing.TB, serial int64, left time.Duration, hosts ...string) *pki.Leaf {
	t.Helper()
	return pki.Must(pki.SelfSigned(pki.Options{DNSNames: hosts, Serial: big.NewInt(serial),
		NotBefore: fixedNow.Add(-30 * 24 * time.Hour), NotAfter: fixedNow.Add(left)}))
}

// storeSnapshot is a read of a store-layout bundle at fixedNow, with
// fixed paths so golden screens do not depend on a temp dir.
func storeSnapshot(name, version string, leaf *pki.Leaf) *model.BundleSnapshot {
	dir := "/var/lib/certdeck/store/" + name + "/" + version + "/"
	file := func(n string, role model.FileRole, data []byte, mode fs.FileMode) model.BundleFile {
		return model.BundleFile{Name: n, Role: role, Path: dir + n, Mode: mode, Size: int64(len(data)), Data: data}
	}
	return &model.BundleSnapshot{
		Bundle: name, Time: fixedNow.Add(-3 * time.Second), Layout: "store", Version: version,
		CA: leaf.CertPEM(),
		Files: []model.BundleFile{
			{Name: "current", Role: model.RoleLink, Path: "/var/lib/certdeck/store/" + name + "/current", Target: version, Mode: fs.ModeSymlink | 0o777},
			file("fullchain.pem", model.RoleFullchain, leaf.FullchainPEM(), 0o644),
			file("privkey.pem", model.RoleKey, leaf.KeyPEM(), 0o600),
		},
	}
}

// bundleFleet is testFleet plus two bundles: "shopcert" served by shop
// and www (only shop serves its serial: drift) and "apicert" served by
// api, in sync.
func bundleFleet(t testing.TB) *model.Fleet {
	t.Helper()
	f := testFleet(t)
	f.Bundles = []model.Bundle{
		{Name: "shopcert", Path: "/var/lib/certdeck/store/shopcert", Layout: "store", Serves: []string{"shop", "www"},
			Source: "/srv/staging/shop", Thresholds: f.Thresholds},
		{Name: "apicert", Path: "/var/lib/certdeck/store/apicert", Layout: "store", Serves: []string{"api"},
			Thresholds: f.Thresholds},
	}
	return f
}
