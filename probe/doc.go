// Package probe owns every network conversation certdeck has with the
// endpoints it watches: the TLS and STARTTLS handshakes that learn what a
// server really serves (chain, verification, hostname, OCSP staple, session
// tickets), the classification of failures into model.ErrorKind, and the
// scheduler that runs probes in a bounded worker pool and reports them as
// model.Events on one channel. It never renders anything.
//
// Files by concern: resolve.go (a name's addresses, the Resolver seam),
// addresses.go (all_ips: every address on its own), admit.go (rate and
// per-IP limits), dial.go (connect, one deadline), starttls.go (plain-text
// upgrade dialogues), ticket.go (ticket capture and kinds), resume.go (the
// resumption check), sessionid.go (TLS 1.2 resumption by session ID),
// resume_policy.go (when to check resumption again; classifying a lone
// ticket), groups.go (the key-exchange groups offered), hello.go (reading
// the plaintext hellos), observe.go (what a handshake
// shows before it fails: the server's chain, client-certificate requests;
// the TLS clock), verify.go (manual chain and hostname verification),
// chaincache.go (each distinct chain verified once),
// ocsp.go (stapled responses, believed only from the issuer), classify.go
// (error kinds and messages), endpoint.go (ProbeEndpoint), options.go
// (ProbeOptions), files.go (ca: and client certificate files, cached
// while unchanged), round.go (one round over a fleet), scheduler.go
// (periodic probes, Trigger, backoff), spread.go (each endpoint's phase in
// the interval; backoff times), queue.go (the work queue behind the
// scheduler), served.go (rotate.Verifier: verification probes through
// the scheduler's queue, a plain prober for the CLI, BundleSerial),
// ticketdir.go (session-ticket key dirs read and watched) and
// tickethistory.go (key names seen per endpoint, kept across runs). Test
// servers live in probe/probetest.
package probe
