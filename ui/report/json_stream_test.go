package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"certdeck/model"
)

// The document is written one endpoint at a time, and is byte for byte
// the document encoded at once (scripts and golden files see no change):
// endpoints and bundles, empty arrays, and hostile strings escaped.
func TestJSONWrittenPieceByPieceIsTheWholeDocument(t *testing.T) {
	bundles, _ := bundleState(t)
	now := time.Now()
	empty := model.NewState(&model.Fleet{})
	tickets, _ := ticketState(t, now)
	for name, s := range map[string]*model.State{"endpoints": fleetState(t), "bundles": bundles, "empty": empty, "ticket keys": tickets} {
		var got bytes.Buffer
		if err := JSON(&got, s, now); err != nil {
			t.Fatal(err)
		}
		doc := jsonReport{Endpoints: []jsonEndpoint{}, Bundles: []model.BundleReport{}, TicketKeys: []model.TicketKeysReport{}}
		for _, es := range s.WorstFirst(now) {
			doc.Endpoints = append(doc.Endpoints, endpointJSON(es, now))
		}
		for _, b := range s.BundlesWorstFirst(now) {
			doc.Bundles = append(doc.Bundles, b.Report(now))
		}
		for _, ts := range s.TicketKeysWorstFirst(now) {
			doc.TicketKeys = append(doc.TicketKeys, ts.Report(now))
		}
		var whole bytes.Buffer
		enc := json.NewEncoder(&whole)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if want := escapeTerminalRunes(whole.Bytes()); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: streamed document differs from the whole one:\n%s\nwant:\n%s", name, got.Bytes(), want)
		}
	}
}
