package chhttp

import (
	"testing"
)

func TestScanSQL(t *testing.T) {
	tests := []struct {
		q      string
		multi  bool
		format string
	}{
		{"SELECT 1", false, ""},
		{"SELECT 1;", false, ""},
		{"SELECT 1 ;; \n -- done\n", false, ""},
		{"SELECT 1; SELECT 2", true, ""},
		{"SELECT 1;DROP TABLE t", true, ""},
		{"SELECT 1; /* c */ x", true, ""},
		{"SELECT ';'", false, ""},
		{"SELECT 'it''s;', 'a\\';'", false, ""},
		{"SELECT 'a\\';' ; SELECT 2", true, ""},
		{"SELECT `a;b`, \"c;d\"", false, ""},
		{"SELECT 1 -- ; DROP TABLE t", false, ""},
		{"SELECT 1 # ; DROP TABLE t", false, ""},
		{"SELECT 1 /* ; /* nested ; */ ; */", false, ""},
		{"SELECT $$;$$, $t$ ; $t$", false, ""},
		{"SELECT $$;$$; SELECT 2", true, ""},
		{"SELECT 'unterminated ;", false, ""},
		{"SELECT 1 FORMAT JSON", false, "JSON"},
		{"SELECT 1 format JSONEachRow;", false, "JSONEachRow"},
		{"SELECT 1 FORMAT CSV SETTINGS max_threads = 1", false, "CSV"},
		{"SELECT format FROM logs", false, ""},
		{"SELECT format, x FROM logs ORDER BY format", false, ""},
		{"SELECT (SELECT 1 FORMAT CSV)", false, ""},
		{"SELECT 'FORMAT JSON'", false, ""},
		{"SELECT 1 FORMAT `JSON`", false, ""},
		{"", false, ""},
	}
	for _, tc := range tests {
		got := scanSQL(tc.q)
		if got.multi != tc.multi || got.format != tc.format {
			t.Errorf("scanSQL(%q) = %+v, want multi %v format %q", tc.q, got, tc.multi, tc.format)
		}
	}
}

func FuzzScanSQL(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "SELECT '\\'';", "/* /* */", "$a$;$a$", "SELECT 1 FORMAT JSON", "# x\n;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s := scanSQL(q)
		if s.format != "" && !isWord(s.format) {
			t.Fatalf("format %q is not a word", s.format)
		}
		// A second statement after a plain one is always seen.
		if !scanSQL("SELECT 1; x" + q).multi {
			t.Fatalf("missed the statement after the separator in %q", q)
		}
	})
}

func TestEngineError(t *testing.T) {
	tests := []struct {
		msg, want string
		code      int
	}{
		{"Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)", "Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)\n", 60},
		{"Code: 164. DB::Exception: Code: 164. DB::Exception: Cannot modify 'max_threads' setting in readonly mode. (READONLY) (version 26.7.2.1). (READONLY)",
			"Code: 164. DB::Exception: Cannot modify 'max_threads' setting in readonly mode. (READONLY)\n", 164},
		{"something broke", "Code: 1002. DB::Exception: something broke. (UNKNOWN_EXCEPTION)\n", 1002},
		{"Code: 99999999999999999999. DB::Exception: x", "Code: 1002. DB::Exception: Code: 99999999999999999999. DB::Exception: x. (UNKNOWN_EXCEPTION)\n", 1002},
	}
	for _, tc := range tests {
		e := engineError(tc.msg)
		if e.code != tc.code || e.body() != tc.want {
			t.Errorf("engineError(%q) = %d %q, want %d %q", tc.msg, e.code, e.body(), tc.code, tc.want)
		}
	}
}

func TestStatus(t *testing.T) {
	for code, want := range map[int]int{516: 403, 497: 403, 194: 401, 62: 400, 36: 400, 60: 404, 81: 404, 115: 404, 159: 408,
		164: 500, 344: 500, 396: 500, 229: 413, 48: 501, 1002: 500} {
		if got := status(code); got != want {
			t.Errorf("status(%d) = %d, want %d", code, got, want)
		}
	}
}
