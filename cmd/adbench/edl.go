package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// edlBench measures the EDL with 50,000 entries under wrk (16 connections,
// 2 threads, 10 s per measurement) against a baseline measured in the same
// run: Go's static file server (net/http.FileServer) serving the same list
// as a file, for full, gzip and conditional requests.
func edlBench(bin string, entries int) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return errors.New("the EDL benchmark needs wrk (Debian: apt-get install -y wrk)")
	}
	dir, err := os.MkdirTemp("", "adbench-edl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := startServed(bin, dir)
	if err != nil {
		return err
	}
	defer s.stop()
	var b strings.Builder
	for i := 0; i < entries; i++ {
		fmt.Fprintf(&b, "45.%d.%d.%d\n", 100+i/65536, i/256%256, i%256)
	}
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		return err
	}
	if _, err := s.cli("", "blacklist", "import", list, "--reason", "bench"); err != nil {
		return err
	}
	body, etag, err := waitEDL(s.url+"/files/blacklist.txt", entries)
	if err != nil {
		return err
	}
	static := filepath.Join(dir, "static")
	if err := os.MkdirAll(static, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(static, "blacklist.txt"), body, 0o644); err != nil {
		return err
	}
	gzFile := filepath.Join(static, "blacklist.txt.gz")
	if out, err := exec.Command("sh", "-c", "gzip -9 -c "+filepath.Join(static, "blacklist.txt")+" > "+gzFile).CombinedOutput(); err != nil {
		return fmt.Errorf("gzip: %v %s", err, out)
	}
	base, stop, err := staticServer(static)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("\n## EDL (adbench edl): %d entries (%d KB), wrk -t2 -c16 -d10s, %s\n\n", entries, len(body)/1000, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| request | baseline: Go static file server | EDL /files/blacklist.txt | ratio (EDL / baseline) |")
	fmt.Println("|---|---|---|---|")
	cases := []struct {
		name       string
		base, edl  string
		bhdr, ehdr []string
	}{
		{"full list", base + "/blacklist.txt", s.url + "/files/blacklist.txt", nil, nil},
		{"full list, gzip", base + "/blacklist.txt.gz", s.url + "/files/blacklist.txt", nil, []string{"Accept-Encoding: gzip"}},
		{"conditional (304)", base + "/blacklist.txt", s.url + "/files/blacklist.txt",
			[]string{"If-Modified-Since: " + time.Now().UTC().Add(time.Hour).Format(http.TimeFormat)}, []string{"If-None-Match: " + etag}},
	}
	for _, c := range cases {
		br, err := runWrk(wrk, c.base, c.bhdr)
		if err != nil {
			return err
		}
		er, err := runWrk(wrk, c.edl, c.ehdr)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.0f req/s | %.0f req/s | %.2f |\n", c.name, br, er, er/br)
	}
	return nil
}

// waitEDL waits until the EDL holds n entries and returns it and its ETag.
func waitEDL(url string, n int) ([]byte, string, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Count(string(b), "\n") == n {
				return b, resp.Header.Get("ETag"), nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return nil, "", fmt.Errorf("the EDL did not reach %d entries", n)
}

// staticServer serves dir with net/http.FileServer on a loopback port.
func staticServer(dir string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Shutdown(context.Background()) }, nil
}

var rpsRE = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)

// runWrk runs wrk and returns requests per second; non-2xx/3xx answers are
// an error.
func runWrk(wrk, url string, headers []string) (float64, error) {
	args := []string{"-t2", "-c16", "-d10s"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	out, err := exec.Command(wrk, append(args, url)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk %s: %v %s", url, err, out)
	}
	if strings.Contains(string(out), "Non-2xx or 3xx responses") {
		return 0, fmt.Errorf("wrk %s: error answers:\n%s", url, out)
	}
	m := rpsRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk output: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
