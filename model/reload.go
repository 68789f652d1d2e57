package model

import "time"

// ReloadConfig is one `reloads:` entry: how to make a server pick up a new
// certificate. Exactly one of Exec, Signal, SSH, HTTP or HAProxy is set.
// Secrets never live here: an HTTP bearer token is named by the
// environment variable that holds it.
type ReloadConfig struct {
	Name    string            `yaml:"name"`
	Timeout *Duration         `yaml:"timeout"` // the whole reload, connect included (default DefaultReloadTimeout)
	Exec    []string          `yaml:"exec"`    // argv, run without a shell
	Env     map[string]string `yaml:"env"`     // exec: extra environment
	Dir     string            `yaml:"dir"`     // exec: working directory
	Signal  string            `yaml:"signal"`  // HUP, USR1, USR2, TERM… sent to the pid in PIDFile
	PIDFile string            `yaml:"pidfile"`
	SSH     *SSHConfig        `yaml:"ssh"`
	Command []string          `yaml:"command"` // ssh: the remote argv, quoted for the remote shell
	HTTP    *HTTPConfig       `yaml:"http"`
	HAProxy *HAProxyConfig    `yaml:"haproxy"`
}

// SSHConfig is where an ssh reload connects. Host keys are always checked
// against KnownHosts (default ~/.ssh/known_hosts); Identity is a private key
// file, else the agent at $SSH_AUTH_SOCK.
type SSHConfig struct {
	Host       string `yaml:"host"`
	Port       int    `yaml:"port"` // default 22
	User       string `yaml:"user"`
	Identity   string `yaml:"identity"`
	KnownHosts string `yaml:"known_hosts"`
}

// HTTPConfig is an HTTP reload endpoint.
type HTTPConfig struct {
	Method    string `yaml:"method"` // default POST
	URL       string `yaml:"url"`
	BearerEnv string `yaml:"bearer_env"` // environment variable holding the token
	Expect    int    `yaml:"expect"`     // status code meaning success (default 200)
	CA        string `yaml:"ca"`         // trust roots for an https URL
}

// HAProxyConfig is a certificate swap over HAProxy's runtime API.
type HAProxyConfig struct {
	Socket string `yaml:"socket"` // unix socket path, or 127.0.0.1:port
	Crt    string `yaml:"crt"`    // the crt path exactly as in haproxy.cfg
}

// Reload kinds.
const (
	ReloadExec    = "exec"
	ReloadSignal  = "signal"
	ReloadSSH     = "ssh"
	ReloadHTTP    = "http"
	ReloadHAProxy = "haproxy"
)

// DefaultReloadTimeout bounds one reload; DefaultVerifyTimeout bounds the
// verification that follows (probing until every endpoint serves the new
// serial).
const (
	DefaultReloadTimeout = 30 * time.Second
	DefaultVerifyTimeout = 30 * time.Second
)

// Reload is a resolved `reloads:` entry: defaults applied, paths absolute,
// exactly one kind set.
type Reload struct {
	Name    string
	Kind    string // ReloadExec | ReloadSignal | ReloadSSH | ReloadHTTP | ReloadHAProxy
	Timeout time.Duration
	Line    int // where it is defined in the config (0: not from a file)

	Exec    []string
	Env     map[string]string
	Dir     string
	Signal  string // upper case without "SIG": HUP, USR1, USR2, WINCH, TERM, INT, QUIT, ALRM, CONT, TTIN, TTOU
	PIDFile string
	SSH     SSHConfig // Port defaulted; Identity and KnownHosts absolute
	Command []string
	HTTP    HTTPConfig // Method and Expect defaulted
	HAProxy HAProxyConfig
}

// OnVerifyFail values: what to do when verification after a publish fails.
const (
	OnVerifyFailNothing  = ""         // report it, change nothing more
	OnVerifyFailRollback = "rollback" // roll the store back, reload, verify the old serial
)
