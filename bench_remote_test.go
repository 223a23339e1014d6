//go:build !(js && wasm)

package guapocado_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The consume benchmarks (sequential and 64 in flight) talk to the bench
// server in a child process, so that the benchmark process is the client
// alone: its allocations (-benchmem) and its CPU time (cpu-ns/op, user +
// system, from getrusage) are the client's, and the server's work weighs
// on neither the SDK's figures nor the floor's. The child is this test
// binary, started with benchServerEnv set (TestMain).

const benchServerEnv = "GUAPOCADO_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		serveBenchChild()
		return
	}
	os.Exit(m.Run())
}

// serveBenchChild serves the consume and balance answers on 127.0.0.1,
// prints its address, then answers "conns" on standard input with the
// number of connections accepted so far, until standard input closes.
func serveBenchChild() {
	bodies := map[string][]byte{}
	for path, name := range map[string]string{
		"/api/auth/guapocado/usage/consume": "consume.json",
		"/api/auth/guapocado/usage/balance": "balance_monthly.json",
	} {
		raw, err := os.ReadFile("testdata/contract/" + name)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		bodies[path] = b.Bytes()
	}
	var conns atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			body, ok := bodies[r.URL.Path]
			if !ok || r.Method != http.MethodPost {
				http.NotFound(w, r)
				return
			}
			w.Header()["Content-Type"] = []string{"application/json"}
			w.Write(body)
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go srv.Serve(ln)
	fmt.Println("http://" + ln.Addr().String())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "conns" {
			fmt.Println(conns.Load())
		}
	}
	srv.Close()
}

// remoteBenchServer is the bench server in a child process.
type remoteBenchServer struct {
	URL string
	in  io.WriteCloser
	out *bufio.Reader
}

func newRemoteBenchServer(tb testing.TB) *remoteBenchServer {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &remoteBenchServer{in: in, out: bufio.NewReader(out)}
	tb.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	line, err := s.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		tb.Fatalf("bench server: %q %v", line, err)
	}
	s.URL = strings.TrimSpace(line)
	return s
}

// conns is the number of connections the server accepted.
func (s *remoteBenchServer) conns(tb testing.TB) int64 {
	tb.Helper()
	if _, err := io.WriteString(s.in, "conns\n"); err != nil {
		tb.Fatal(err)
	}
	line, err := s.out.ReadString('\n')
	if err != nil {
		tb.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// cpuTime is the CPU time (user + system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
