// `certdeck check`: one probe round for cron and monitoring.

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/ui/report"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// checkFlags are the options of `certdeck check`; durations accept days (30d).
type checkFlags struct {
	format, ca, sni     string
	timeout, warn, crit string
	concurrency         int
	resumption          bool
	allIPs              bool
	rateLimit           float64
	perIP               int
	// cpuProfile, hidden, writes a CPU profile of the run: where a
	// round's time goes (README, Performance) is measured with it.
	cpuProfile string
}

func newCheckCmd(g *globalFlags) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [TARGET...]",
		Short: "Probe every endpoint once and print the result; exit 0 OK, 1 WARN, 2 CRIT/ERROR, 3 usage",
		Long: `check runs one probe round over the configured fleet plus any TARGET
(host, host:port, [v6]:port, https://, smtp://, imap://, pop3://, ftp://,
postgres://), reads every bundle once, and prints one line per endpoint and
per bundle, worst first, or JSON.

Exit status: 0 everything OK; 1 the worst is WARN or UNKNOWN; 2 anything
is CRIT or ERROR; 3 usage or configuration error.

--ca and --sni apply to the TARGET arguments (to every configured endpoint
when no TARGET is given); --timeout, --concurrency, --rate-limit,
--per-ip-concurrency, --warn and --crit override the config for every
endpoint and bundle, and --all-ips probes every address of every name. --warn and --crit take
a duration (21d), a percentage of each certificate's lifetime (33%), or
both ("30d or 33%": whichever is shorter).

Each endpoint costs one handshake: the certificate, its chain and host
name, the OCSP staple and the session-ticket key name. --resumption adds a
second handshake that checks the server resumes its own ticket (JSON
ticket.resumed is null when it was not checked).`,
		Example: `  certdeck check example.com
  certdeck check https://example.com smtp://mail.example.com:25 --warn 21d --format json
  certdeck check 10.0.0.5:8443 --sni api.internal --ca ./private-ca.pem
  certdeck check --bundle /etc/letsencrypt/live/web --warn 25%`,
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, g, &f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	fl.StringVar(&f.ca, "ca", "", "PEM file of trust roots instead of the system roots")
	fl.StringVar(&f.sni, "sni", "", "server name to send and verify")
	fl.StringVar(&f.timeout, "timeout", "", "deadline per probe covering DNS, connect, STARTTLS and handshake (e.g. 5s)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "probes in flight at once (1-4096)")
	fl.StringVar(&f.warn, "warn", "", `WARN when less than this is left: a duration (30d), a percentage of the lifetime (33%), or "30d or 33%" (default "30d or 33%")`)
	fl.StringVar(&f.crit, "crit", "", `CRIT when less than this is left, as --warn (default "7d or 10%")`)
	fl.BoolVar(&f.allIPs, "all-ips", false, "probe every address each name resolves to, each on its own (the endpoint's status is its worst address's)")
	fl.Float64Var(&f.rateLimit, "rate-limit", 0, "start at most this many probes per second, fleet-wide (default: no limit)")
	fl.IntVar(&f.perIP, "per-ip-concurrency", 0, "probes in flight to one IP address at most (default: no limit)")
	fl.BoolVar(&f.resumption, "resumption", false, "also check that each server resumes its own session ticket (a second handshake per endpoint)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

// runCheck wires config, flags, the check pipeline and the report together.
func runCheck(cmd *cobra.Command, g *globalFlags, f *checkFlags, args []string) error {
	usage := func(err error) error { return &exitError{code: report.ExitUsage, err: err} }
	if f.format != "table" && f.format != "json" {
		return usage(fmt.Errorf("--format %q: want table or json", f.format))
	}
	overrides, err := f.overrides()
	if err != nil {
		return usage(err)
	}
	if cmd.Flags().Changed("concurrency") && overrides.Concurrency == 0 {
		// 0 in Overrides means "not given"; given, it is out of range.
		return usage(fmt.Errorf("--%w", model.ValidateConcurrency(0)))
	}
	fleet, path, err := buildFleet(g, fleetInputs{targets: args, ca: f.ca, sni: f.sni})
	if err != nil {
		return usage(err)
	}
	if fleet == nil {
		return usage(fmt.Errorf("nothing to check: no config at %s and no TARGET or --bundle given (try: certdeck check example.com:443, or --config FILE)", path))
	}
	if len(fleet.Endpoints) == 0 && len(fleet.Bundles) == 0 {
		return usage(fmt.Errorf("%s defines no endpoints or bundles and no TARGET was given", path))
	}
	if err := fleet.ApplyOverrides(overrides); err != nil {
		return usage(err)
	}

	if f.cpuProfile != "" {
		stopProfile, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return usage(err)
		}
		defer stopProfile()
	}
	// ^C or SIGTERM (main's context) ends the round early; what was
	// learned so far is still printed. The resumption check is a second
	// handshake per endpoint, about as costly as the first: cron runs want
	// the certificates, and ask for it.
	history := openTicketHistory(cmd.ErrOrStderr())
	state, now := probe.Check(cmd.Context(), fleet, probe.CheckOptions{Probe: probe.ProbeOptions{NoResume: !f.resumption}, TicketHistory: history})
	reportTicketHistory(cmd.ErrOrStderr(), history)

	// The report goes out through one buffer: a row per write(2) was 2,000
	// system calls at the end of a 2,000-endpoint run, after every probe.
	raw := cmd.OutOrStdout()
	out := bufio.NewWriterSize(raw, 64<<10)
	if f.format == "json" {
		err = report.JSON(out, state, now)
	} else {
		err = report.Table(out, state, now, report.TableOptions{Width: terminalWidth(raw)})
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if code := report.ExitCode(state.Worst()); code != report.ExitOK {
		return &exitError{code: code}
	}
	return nil
}

// overrides parses --timeout, --concurrency, --warn and --crit; the rules
// they must meet are model's, the same as for the config.
func (f *checkFlags) overrides() (model.Overrides, error) {
	o := model.Overrides{Concurrency: f.concurrency, AllIPs: f.allIPs, RateLimit: f.rateLimit, PerIPConcurrency: f.perIP}
	if f.rateLimit < 0 {
		return o, fmt.Errorf("--rate-limit %v: want a positive number of probes per second", f.rateLimit)
	}
	if f.perIP < 0 {
		return o, fmt.Errorf("--per-ip-concurrency %d: want a positive number", f.perIP)
	}
	if f.timeout != "" {
		d, err := model.ParseDuration(f.timeout)
		if err != nil {
			return o, fmt.Errorf("--timeout: %w", err)
		}
		if d == 0 {
			return o, fmt.Errorf("--timeout %q: want a positive duration such as 5s", f.timeout)
		}
		o.Timeout = d
	}
	for _, t := range []struct {
		flag, value string
		dst         **model.Threshold
	}{{"--warn", f.warn, &o.Warn}, {"--crit", f.crit, &o.Crit}} {
		if t.value == "" {
			continue
		}
		th, err := model.ParseThreshold(t.value)
		if err != nil {
			return o, fmt.Errorf("%s: %w", t.flag, err)
		}
		*t.dst = &th
	}
	return o, nil
}

// startCPUProfile starts a CPU profile into path; the returned func stops
// it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}

// terminalWidth is the width of the terminal w writes to, or 0 when w is
// not a terminal (a file, a pipe): then the table is never cut.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0
	}
	return int(ws.Col)
}
