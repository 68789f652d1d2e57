// The session-ticket key commands: tickets init, rotate, show, convert.

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"

	"github.com/spf13/cobra"
)

// newTicketsCmd is `certdeck tickets init|rotate|show|convert`.
func newTicketsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tickets",
		Short: "Create, rotate, show and convert session-ticket key dirs (nginx, HAProxy, Apache, Go)",
		Long: `A key dir holds three session-ticket keys with roles: current (encrypts),
next (decrypt-only, the next to encrypt) and previous (decrypt-only, the last
to encrypt). Formats are never mixed up: nginx80 and nginx48 keep one raw file
per key (current.key next.key previous.key), haproxy one tls-ticket-keys file
of base64 lines (previous, current, next), apache48 raw files like nginx48
but with the halves swapped.

Rotation moves every key one role along (previous ← current, current ← next,
next ← fresh), each file replaced atomically with mode 0600.

A DIR is given with --dir, or NAME names a ticket_keys entry of the config
(its dir, format, rotate_every and ticket_lifetime apply).`,
	}
	cmd.AddCommand(newTicketsInitCmd(g), newTicketsRotateCmd(g), newTicketsShowCmd(g), newTicketsConvertCmd(g))
	return cmd
}

// ticketTarget is the key dir a command works on: --dir (with --format, or
// the format detected there), or a configured entry.
type ticketTarget struct {
	dir, format, name string
}

func (tt *ticketTarget) flags(cmd *cobra.Command, formatFlag string) {
	cmd.Flags().StringVar(&tt.dir, "dir", "", "key dir")
	if formatFlag != "" {
		cmd.Flags().StringVar(&tt.format, formatFlag, "", "key format: nginx80, nginx48, haproxy or apache48 (default: the one recorded in the dir)")
	}
}

// resolve returns the dir, its format and the config entry (zero when
// --dir was given).
func (tt *ticketTarget) resolve(g *globalFlags, args []string, detect bool) (model.TicketKeys, error) {
	if len(args) == 1 {
		tt.name = args[0]
	}
	switch {
	case tt.name != "" && tt.dir != "":
		return model.TicketKeys{}, usageError(errors.New("give a ticket_keys NAME or --dir, not both"))
	case tt.name != "":
		fleet, path, err := loadConfiguredFleet(g, false)
		if err != nil {
			return model.TicketKeys{}, usageError(err)
		}
		if fleet == nil {
			return model.TicketKeys{}, usageError(fmt.Errorf("no config at %s: give --dir, or --config FILE with ticket_keys", path))
		}
		tk, ok := fleet.TicketKeysByName(tt.name)
		if !ok {
			return model.TicketKeys{}, usageError(fmt.Errorf("%s has no ticket_keys entry %q", path, tt.name))
		}
		if tt.format != "" && model.TicketFormat(tt.format) != tk.Format {
			return model.TicketKeys{}, usageError(fmt.Errorf("ticket_keys %s is %s, not %s", tk.Name, tk.Format, tt.format))
		}
		return tk, nil
	case tt.dir == "":
		return model.TicketKeys{}, usageError(errors.New("give a ticket_keys NAME or --dir DIR"))
	}
	// Absolute from here on, as a configured dir is: the tmpfs advice
	// (mount, fstab), show's "dir", the audit line's target and every
	// message name the dir wherever they are read, not relative to
	// wherever certdeck was started.
	if err := absPaths(&tt.dir); err != nil {
		return model.TicketKeys{}, usageError(fmt.Errorf("--dir: %w", err))
	}
	tk := model.TicketKeys{Dir: tt.dir, Name: tt.dir}
	switch {
	case tt.format != "":
		f, err := model.ValidateTicketFormat(tt.format)
		if err != nil {
			return tk, usageError(err)
		}
		tk.Format = f
	case detect:
		f, err := rotate.DetectTicketFormat(tt.dir)
		if err != nil {
			return tk, storeError(storeRefused, err)
		}
		tk.Format = f
	default:
		return tk, usageError(errors.New("--format is required"))
	}
	return tk, nil
}

func newTicketsInitCmd(g *globalFlags) *cobra.Command {
	var tt ticketTarget
	var size int
	var ifMissing bool
	cmd := &cobra.Command{
		Use:   "init (NAME | --dir DIR --format F) [--size 48|80] [--if-missing]",
		Short: "Create a key dir with three fresh keys (current, next, previous)",
		Long: `init creates DIR (0700) when missing and three keys from crypto/rand,
each file 0600 from its first byte. It refuses a dir that already holds
keys; --if-missing makes that a no-op when they are complete and valid (for a
boot script: a tmpfs is empty after a reboot). Keys belong in memory-backed
storage: init says how to mount a tmpfs when DIR is on a disk.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tk, err := tt.resolve(g, args, false)
			if err != nil {
				return err
			}
			d := &rotate.TicketDir{Dir: tk.Dir, Format: tk.Format, ReadOnly: g.readOnly}
			res, err := d.Init(cmd.Context(), rotate.InitOptions{Size: size, IfMissing: ifMissing})
			return printTicketResult(cmd, res, err)
		},
	}
	tt.flags(cmd, "format")
	cmd.Flags().IntVar(&size, "size", 0, "key size in bytes: 48 (AES-128) or 80 (AES-256; the default where the format has it)")
	cmd.Flags().BoolVar(&ifMissing, "if-missing", false, "do nothing when the dir already holds a complete, valid key set")
	return cmd
}

func newTicketsRotateCmd(g *globalFlags) *cobra.Command {
	var tt ticketTarget
	var af actionFlags
	var force bool
	var lifetime, socket, ref string
	cmd := &cobra.Command{
		Use:   "rotate (NAME | --dir DIR [--format F]) [--dry-run] [--force] [--timeout D] [--ticket-lifetime D] [--haproxy-socket S [--haproxy-ref R]]",
		Short: "Move every key one role along: previous ← current, current ← next, next ← fresh",
		Long: `rotate replaces the three keys atomically (renames in an order that leaves
every key that matters in place at every step; a rotation a crash interrupted
is finished by the next run, never repeated). It refuses a dir with a missing,
unreadable or wrong-sized file, and a rotation that would drop the previous
key while tickets it encrypted may still be valid (ticket_lifetime, or
--ticket-lifetime with --dir); --force drops it anyway.

NAME is a ticket_keys entry. With serves: it is a pool, rotated in phases:
phase 1 reloads each member (its endpoint's reload:, else the entry's) until
it holds the dir's next key (a HAProxy reload means its runtime API: show
tls-keys); phase 2, refused while any member has not confirmed (unless
--force), rotates the dir, reloads every member (set ssl tls-key for HAProxy)
and verifies each encrypts with the promoted key. Progress is printed per
member as it happens; the action is one audit line.

With --dir, reload the servers yourself afterwards, or give --haproxy-socket:
HAProxy then follows at runtime (show tls-keys must list the file's next key
first; set ssl tls-key installs the new one). --haproxy-ref is the
tls-ticket-keys path exactly as haproxy.cfg names it (default:
DIR/tls-ticket-keys, absolute).

Exit status: 0 rotated (and every member verified); 1 refused or failed
before the dir changed; 3 usage or config error; 4 rotated, but a member's
reload failed or it does not encrypt with the promoted key.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := af.check("tickets rotate"); err != nil {
				return err
			}
			req := rotate.TicketRotateRequest{Force: force}
			var fleet *model.Fleet
			if len(args) == 1 {
				if tt.dir != "" || socket != "" || lifetime != "" {
					return usageError(errors.New("tickets rotate NAME takes its dir, reloads and ticket_lifetime from the config: drop --dir, --haproxy-socket and --ticket-lifetime"))
				}
				var err error
				if fleet, err = configuredFleet(g, "tickets rotate"); err != nil {
					return err
				}
				req.Name = args[0]
			} else {
				tk, err := tt.resolve(g, nil, true)
				if err != nil {
					return err
				}
				req.Dir, req.Format = tk.Dir, tk.Format
				if lifetime != "" {
					if req.TicketLifetime, err = model.ParseDuration(lifetime); err != nil {
						return usageError(fmt.Errorf("--ticket-lifetime: %w", err))
					}
				}
				if socket != "" {
					if ref == "" {
						if ref, err = filepath.Abs(filepath.Join(tk.Dir, model.HAProxyTicketFile)); err != nil {
							return usageError(err)
						}
					}
					req.HAProxy = &rotate.HAProxyTicketAPI{Socket: socket, Ref: ref}
					if err := req.HAProxy.Check(); err != nil {
						return usageError(err)
					}
				}
			}
			a, err := newEngine(g, fleet, af, rotate.StoreOptions{}).RotateTickets(req)
			if err != nil {
				return usageError(err)
			}
			if af.dryRun {
				return printPlan(cmd, a, cmd.Context())
			}
			w := cmd.OutOrStdout()
			out, err := a.Run(cmd.Context(), func(p rotate.Progress) {
				fmt.Fprintf(w, "  %-12s %-9s %s\n", model.Sanitize(p.Target), p.Phase, model.Sanitize(p.Message))
			})
			return printOutcome(cmd, out, err)
		},
	}
	tt.flags(cmd, "format")
	af.register(cmd, true)
	cmd.Flags().BoolVar(&force, "force", false, "promote although a pool member has not confirmed the next key, and drop the previous key even when its tickets may still be valid")
	cmd.Flags().StringVar(&lifetime, "ticket-lifetime", "", "with --dir: refuse to drop the previous key before it has been out of use this long (e.g. 5m)")
	cmd.Flags().StringVar(&socket, "haproxy-socket", "", "with --dir: HAProxy stats socket (level admin); HAProxy follows the rotation at runtime")
	cmd.Flags().StringVar(&ref, "haproxy-ref", "", "the tls-ticket-keys file as haproxy.cfg names it, or #ID (default: DIR/tls-ticket-keys)")
	return cmd
}

func newTicketsShowCmd(g *globalFlags) *cobra.Command {
	var tt ticketTarget
	var output string
	var nginx, haproxy, apache bool
	var rotateEvery string
	cmd := &cobra.Command{
		Use:   "show (NAME | --dir DIR [--key-format F]) [--format table|json] [--nginx | --haproxy | --apache]",
		Short: "Show each key's role, name and age (never a secret), or the server config lines that use them",
		Long: `show lists the keys of a dir: role, name (hex of the 16 name bytes: the only
part ever shown), since when it holds its role, its file, and the dir's
status (file sizes and modes, tmpfs, the encrypting key's age against
rotate_every). --nginx, --haproxy and --apache print the config lines that
load the keys, in the order that gives each its role.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return usageError(fmt.Errorf("--format %q: want table or json (the key format is --key-format)", output))
			}
			tk, err := tt.resolve(g, args, true)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if server := pickServer(nginx, haproxy, apache); server != "" {
				lines, err := rotate.TicketConfigLines(tk.Dir, tk.Format, server)
				if err != nil {
					return storeError(storeRefused, err)
				}
				for _, l := range lines {
					fmt.Fprintln(out, model.Sanitize(l))
				}
				return nil
			}
			every := tk.RotateEvery
			if rotateEvery != "" {
				if every, err = model.ParseDuration(rotateEvery); err != nil {
					return usageError(fmt.Errorf("--rotate-every: %w", err))
				}
			}
			now := time.Now()
			_, facts := rotate.LoadTicketDir(tk.Dir, tk.Format, now)
			return rotate.WriteTicketDir(out, rotate.NewTicketDirReport(facts, every, now), now, output == "json")
		},
	}
	tt.flags(cmd, "key-format")
	cmd.Flags().StringVar(&output, "format", "table", "output: table or json")
	cmd.Flags().StringVar(&rotateEvery, "rotate-every", "", "judge the encrypting key's age against this (default: the entry's rotate_every, none with --dir)")
	cmd.Flags().BoolVar(&nginx, "nginx", false, "print the nginx ssl_session_ticket_key lines (current first)")
	cmd.Flags().BoolVar(&haproxy, "haproxy", false, "print the HAProxy tls-ticket-keys bind option")
	cmd.Flags().BoolVar(&apache, "apache", false, "print the Apache SSLSessionTicketKeyFile line")
	cmd.MarkFlagsMutuallyExclusive("nginx", "haproxy", "apache")
	return cmd
}

func pickServer(nginx, haproxy, apache bool) string {
	switch {
	case nginx:
		return "nginx"
	case haproxy:
		return "haproxy"
	case apache:
		return "apache"
	}
	return ""
}

func newTicketsConvertCmd(g *globalFlags) *cobra.Command {
	var tt ticketTarget
	var to, toFormat string
	cmd := &cobra.Command{
		Use:   "convert (NAME | --dir DIR [--format F]) --to DIR2 --to-format G",
		Short: "Write the same keys laid out for another server (nginx80 ↔ haproxy, nginx48 ↔ haproxy ↔ apache48)",
		Long: `convert writes the keys of a dir into an empty DIR2 in another format: the
same keys (names and secrets) in the same roles, with the halves where the
other server reads them, so nginx and HAProxy can share keys. Sizes must allow
it: an 80-byte key has no apache48 form.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tk, err := tt.resolve(g, args, true)
			if err != nil {
				return err
			}
			if to == "" || toFormat == "" {
				return usageError(errors.New("convert: --to DIR and --to-format F are required"))
			}
			dstFormat, err := model.ValidateTicketFormat(toFormat)
			if err != nil {
				return usageError(err)
			}
			if err := absPaths(&to); err != nil {
				return usageError(fmt.Errorf("--to: %w", err))
			}
			src := &rotate.TicketDir{Dir: tk.Dir, Format: tk.Format}
			dst := &rotate.TicketDir{Dir: to, Format: dstFormat, ReadOnly: g.readOnly}
			res, err := src.Convert(cmd.Context(), dst)
			return printTicketResult(cmd, res, err)
		},
	}
	tt.flags(cmd, "format")
	cmd.Flags().StringVar(&to, "to", "", "empty dir to write the converted keys to")
	cmd.Flags().StringVar(&toFormat, "to-format", "", "format to write: nginx80, nginx48, haproxy or apache48")
	return cmd
}

// printTicketResult reports an init, rotation or conversion: names before
// → after on stdout, warnings on stderr, exit 1 on refusal or failure.
func printTicketResult(cmd *cobra.Command, res *rotate.TicketResult, err error) error {
	if err != nil {
		return storeError(storeRefused, err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), model.SanitizeLines(res.Describe()))
	for _, w := range res.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "certdeck: warning:", model.Sanitize(w))
	}
	return nil
}

// openTicketHistory opens the history of ticket key names seen per
// endpoint in the state dir, so ages mean "seen since" across runs. With
// no state dir ($HOME unset) or an unreadable file there is none, and
// that is said once on stderr.
func openTicketHistory(stderr io.Writer) *probe.TicketHistoryFile {
	h, note := ticketHistory()
	if note != "" {
		fmt.Fprintln(stderr, "certdeck: note: ticket key ages are not kept across runs:", model.Sanitize(note))
	}
	return h
}

// ticketHistory opens the history, or says why there is none (the
// console puts that in its event log: stderr is behind its screen).
//
// The history decides how old a ticket key looks: in a state dir another
// user could write (root run with their $HOME), they could fake ages and
// hide a key-age WARN, so such a dir, or a history file that is not root's
// or ours alone to write, keeps no history.
func ticketHistory() (*probe.TicketHistoryFile, string) {
	dir, err := model.StateDir()
	if err != nil {
		return nil, err.Error()
	}
	if err := rotate.CheckTrustedDir("state directory "+dir, dir); err != nil {
		return nil, err.Error()
	}
	path := filepath.Join(dir, probe.TicketHistoryName)
	if _, serr := os.Lstat(path); serr == nil {
		if err := rotate.CheckTrustedFile("ticket history", path); err != nil {
			return nil, err.Error()
		}
	}
	h, err := probe.OpenTicketHistory(path)
	if err != nil {
		return nil, err.Error()
	}
	return h, ""
}

// reportTicketHistory says once that recording failed.
func reportTicketHistory(stderr io.Writer, h *probe.TicketHistoryFile) {
	if h != nil && h.Err() != nil {
		fmt.Fprintln(stderr, "certdeck: note: ticket key ages were not saved:", model.Sanitize(h.Err().Error()))
	}
}
