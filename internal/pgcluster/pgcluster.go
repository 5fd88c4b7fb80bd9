// Package pgcluster starts a Postgres cluster of a test's own, in a
// temporary directory on a free port, so the test can restart or crash it
// without touching the server the other tests share. Postgres refuses to
// run as root, so as root the binaries run as the postgres user through
// runuser. Where the binaries or runuser are missing the test skips, and
// in CI (CI set) or with FLASHPROMO_REQUIRE_DB=1 it fails instead.
package pgcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir is where initdb and pg_ctl are looked for when
// FLASHPROMO_PG_BIN is unset.
const BinDir = "/usr/lib/postgresql/15/bin"

// Cluster is a running Postgres of one test, stopped at its cleanup.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string // the data directory
	port int
	asPG bool // run the binaries as the postgres user
}

// Start initialises and starts a cluster; its database postgres takes
// the user postgres without a password over TCP.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{t: t, bin: binDir(), asPG: os.Geteuid() == 0}
	c.check()
	root := c.tempDir()
	c.dir = filepath.Join(root, "data")
	c.port = freePort(t)
	c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	// fsync off: a crash of Postgres (not of the machine) keeps what the
	// kernel was given; synchronous_commit stays on, so a commit
	// acknowledged before a crash is there after it.
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\nmax_connections = 100\n", c.port, root)
	if err := appendFile(filepath.Join(c.dir, "postgresql.conf"), conf); err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
	c.Start()
	t.Cleanup(func() { _, _ = c.output("pg_ctl", "-D", c.dir, "stop", "-m", "immediate") }) // stopped already, maybe
	return c
}

// URL is the cluster's database postgres.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the stopped cluster and waits until it takes connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.ctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "..", "server.log"))
	c.waitReady()
}

// Restart stops the cluster in mode (fast: the sessions are ended, smart,
// immediate: a crash) and starts it again.
func (c *Cluster) Restart(mode string) {
	c.t.Helper()
	c.ctl("restart", "-w", "-t", "60", "-m", mode, "-l", filepath.Join(c.dir, "..", "server.log"))
	c.waitReady()
}

// Stop stops the cluster in mode; immediate is a crash (recovery at the next Start).
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	c.ctl("stop", "-w", "-t", "60", "-m", mode)
}

func (c *Cluster) ctl(args ...string) {
	c.t.Helper()
	c.run("pg_ctl", append([]string{"-D", c.dir}, args...)...)
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.output(name, args...); err != nil {
		c.t.Fatalf("pgcluster: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func (c *Cluster) output(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, name)}, args...)...)
	}
	cmd.Dir = os.TempDir() // the postgres user may not enter the test's working directory
	return cmd.CombinedOutput()
}

// waitReady waits until a connection answers: pg_ctl -w returns once the
// postmaster accepts, which can be before recovery has ended.
func (c *Cluster) waitReady() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.URL())
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1")
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("pgcluster: not ready after 60 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check skips the test, or fails it in CI, where the cluster cannot run.
func (c *Cluster) check() {
	c.t.Helper()
	var missing []string
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(c.bin, name)); err != nil {
			missing = append(missing, filepath.Join(c.bin, name))
		}
	}
	if c.asPG {
		if _, err := exec.LookPath("runuser"); err != nil {
			missing = append(missing, "runuser (Postgres refuses to run as root)")
		}
		if _, err := user.Lookup("postgres"); err != nil {
			missing = append(missing, "the user postgres")
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "pgcluster: cannot start a Postgres of the test's own: missing " + strings.Join(missing, ", ") +
		" (set FLASHPROMO_PG_BIN to the directory of initdb and pg_ctl)"
	if os.Getenv("CI") != "" || os.Getenv("FLASHPROMO_REQUIRE_DB") == "1" {
		c.t.Fatal(msg + "; CI or FLASHPROMO_REQUIRE_DB=1 is set, so this fails")
	}
	c.t.Skip(msg)
}

// tempDir is a directory the postgres user owns, removed at cleanup.
func (c *Cluster) tempDir() string {
	c.t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-")
	if err != nil {
		c.t.Fatalf("pgcluster: %v", err)
	}
	c.t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if c.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			c.t.Fatalf("pgcluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			c.t.Fatalf("pgcluster: %v", err)
		}
	}
	return dir
}

func binDir() string {
	if d := os.Getenv("FLASHPROMO_PG_BIN"); d != "" {
		return d
	}
	return BinDir
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
