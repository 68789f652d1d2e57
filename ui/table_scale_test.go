package ui

import (
	"fmt"
	"testing"
	"time"

	"certdeck/model"
)

// At 10,000 rows the cursor stays on the endpoint the operator moved to:
// through a batch that re-sorts thousands of rows around it, and through a
// filter that hides it and is cleared again.
func TestCursorKeepsItsEndpointAt10000Rows(t *testing.T) {
	m, _ := newBigModel(t, 10_000, 200, 50)
	press(m, "G", "k", "k", "k")
	chosen := selectedName(m)
	if chosen == "" {
		t.Fatal("nothing selected")
	}
	var batch []model.Event
	for i := 0; i < 10_000; i += 5 {
		name := fmt.Sprintf("host%05d.example.com", i)
		batch = append(batch, obs(name, cert(name, fmt.Sprintf("%032x", i+1), -time.Hour)))
	}
	for _, es := range m.State().Endpoints() {
		if es.Endpoint.Name == chosen {
			batch = append(batch, obs(chosen, cert(chosen, "ff", -time.Hour)))
		}
	}
	before := rowNames(m)
	m.Update(eventsMsg{events: batch})
	if after := rowNames(m); before[len(before)-4] == after[len(after)-4] {
		t.Fatal("the batch did not move the rows: the test proves nothing")
	}
	if got := selectedName(m); got != chosen {
		t.Fatalf("after a re-sorting batch the cursor is on %s, want %s", got, chosen)
	}
	press(m, "/")
	for _, r := range "host00001." {
		press(m, string(r))
	}
	if got := selectedName(m); got == chosen {
		t.Fatalf("the filter did not hide %s: the test proves nothing", chosen)
	}
	press(m, "esc")
	if got := selectedName(m); got != chosen {
		t.Fatalf("after clearing the filter the cursor is on %s, want %s again", got, chosen)
	}
}

// The operator acts on the top row without moving (x on the worst item,
// enter to read it): when the result re-sorts the rows, the cursor stays
// on that item instead of riding the top row onto another one.
func TestCursorStaysOnTheRowActedOnWithoutMoving(t *testing.T) {
	m, _ := newBigModel(t, 50, 200, 50)
	chosen := selectedName(m)
	if chosen == "" {
		t.Fatal("nothing selected")
	}
	press(m, "enter")
	// The chosen endpoint recovers and sinks down the worst-first order.
	m.Update(eventsMsg{events: []model.Event{obs(chosen, cert(chosen, "ff", 300*24*time.Hour))}})
	if rowNames(m)[0] == chosen {
		t.Fatal("the batch did not move the row: the test proves nothing")
	}
	if got := selectedName(m); got != chosen {
		t.Fatalf("after the re-sort the cursor is on %s, want %s (the row the operator opened)", got, chosen)
	}
}
