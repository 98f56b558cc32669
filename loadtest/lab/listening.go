package lab

import (
	"bytes"
	"io"

	"scalelab/loadtest/result"
)

// listenWatch passes a container's output on to out (nil: nowhere) and puts "<pod>
// listening" on the timeline each time hello logs that it listens: the moment its port
// accepts connections, in its own words rather than inferred from its flags. Between a
// pod's start (or its readiness, without a probe) and this moment a proxy that routes to
// it meets a refused connection.
type listenWatch struct {
	p    *pod
	out  io.Writer
	line []byte // the part of a line written so far
}

// maxLine bounds what is kept of one line; a log line of hello is far shorter.
const maxLine = 4096

func (w *listenWatch) Write(b []byte) (int, error) {
	for rest := b; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(w.line)+len(rest) <= maxLine {
				w.line = append(w.line, rest...)
			}
			break
		}
		w.line = append(w.line, rest[:i]...)
		if listening(w.line) {
			w.p.lab.podEvent(w.p.name, result.StepListening, kindPod, "listening", w.p.addr)
		}
		w.line, rest = w.line[:0], rest[i+1:]
	}
	if w.out == nil {
		return len(b), nil
	}
	return w.out.Write(b)
}

// listening says whether a line of hello's log (JSON, or text with --log-format text)
// is its "listening" event.
func listening(line []byte) bool {
	return bytes.Contains(line, []byte(`"msg":"listening"`)) || bytes.Contains(line, []byte(" msg=listening "))
}
