package fromcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/result"
)

// Attack starts o from inside the cluster c, as a Job of a.N attacker pods in c's
// namespace, and returns once every attacker has sent its first results: the load flows.
// wait then returns the merged run once o.Stop is closed or ctx is done (Interrupted), the
// pods stopped (SIGTERM: each answers its requests in flight and exits) and every result
// in; its error names each attacker that failed, was evicted or deleted, or whose results
// did not all arrive — the run is still returned, with what did. The Job and its pods are
// deleted before wait returns, and when Attack fails.
func Attack(ctx context.Context, c *kube.Cluster, o attack.Options, a Attackers) (wait func() (*result.Run, error), err error) {
	if err := a.check(o); err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = attack.DefaultTimeout
	}
	if o.Method == "" {
		o.Method = "GET"
	}
	if o.Log == nil {
		o.Log = result.NewLog(time.Now())
	}
	r := &attackRun{cs: c.Clientset(), ns: c.Namespace(), out: c.Out(), a: a, o: o, log: o.Log, pods: map[string]*corev1.Pod{}, final: map[string]*corev1.Pod{},
		streaming: map[string]bool{}, first: map[string]bool{}, allFirst: make(chan struct{}), failedCh: make(chan struct{}),
		completed: map[string]bool{}, finished: make(chan struct{})}
	r.bg, r.cancel = context.WithCancel(context.Background())
	job := a.job(r.ns, o, o.Timeout, c.Owner(ctx))
	r.job, err = r.cs.BatchV1().Jobs(r.ns).Create(ctx, job, metav1.CreateOptions{FieldManager: kube.FieldManager})
	if err != nil {
		r.cancel()
		return nil, fmt.Errorf("attackers: create their job: %w", err)
	}
	fmt.Fprintf(r.out, "$ kubectl create -n %s job %s --image %s -- loadtest attacker ...  # %d attackers, %d requests/s to %s\n",
		r.ns, r.job.Name, a.Image, a.N, o.Rate, o.Target)
	go r.watch()

	t := time.NewTimer(a.Start)
	defer t.Stop()
	select {
	case <-r.allFirst:
	case <-r.failedCh:
		err = r.failures()
	case <-t.C:
		err = fmt.Errorf("attackers: not all %d sent results within %s: %s", a.N, a.Start, r.states())
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		err = r.collect(ctx)
	}
	if err != nil {
		r.cleanup()
		return nil, err
	}
	return func() (*result.Run, error) { return r.wait(ctx) }, nil
}

// attackRun is one attack from the cluster while it runs.
type attackRun struct {
	cs  kubernetes.Interface // the cluster's client
	ns  string               // the cluster's namespace, where the Job runs
	out io.Writer            // where the cluster prints its kubectl
	a   Attackers
	o   attack.Options
	log *result.Log
	job *batchv1.Job
	// bg is the context of the watch and the log streams: it outlives a Ctrl-C, so that the
	// results of the requests already sent still come in; cleanup cancels it.
	bg     context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	col       *attack.Collector // nil until every attacker has sent its first results
	buffered  []*vegeta.Result  // what came before
	first     map[string]bool   // the attackers whose first result came
	allFirst  chan struct{}     // closed when all have
	pods      map[string]*corev1.Pod
	final     map[string]*corev1.Pod // by attacker: its pod once it ended
	streaming map[string]bool        // pods whose log is followed
	stopping  bool                   // the pods were asked to stop: their end is expected
	failed    []error                // attackers that ended before that
	failedCh  chan struct{}          // closed at the first of them
	notes     int                    // lines of the logs that were no result, put on the timeline
	completed map[string]bool        // attackers whose pods ended well at the attack's own duration
	finished  chan struct{}          // closed when all have
	streams   sync.WaitGroup
}

// collect starts the merge: the attack began when the first of the results so far was sent.
func (r *attackRun) collect(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	began := time.Now()
	for _, res := range r.buffered {
		if res.Timestamp.Before(began) {
			began = res.Timestamp
		}
	}
	col, err := attack.NewCollector(ctx, r.o, began)
	if err != nil {
		return err
	}
	for i := range r.a.N { // the names and shares the attackers are started with (job.go)
		col.Expect(fmt.Sprintf("attacker-%d", i), attack.Share(r.o.Rate, r.a.N, i))
	}
	for _, res := range r.buffered {
		col.Add(res)
	}
	r.col, r.buffered = col, nil
	logEvent(r.log, "attackers running", fmt.Sprintf("%d pods of job %s, %d requests/s to %s", r.a.N, r.job.Name, r.o.Rate, r.o.Target))
	return nil
}

// add takes one result of a stream.
func (r *attackRun) add(res *vegeta.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.col != nil {
		r.col.Add(res)
		return
	}
	r.buffered = append(r.buffered, res)
	if !r.first[res.Attack] {
		r.first[res.Attack] = true
		if len(r.first) == r.a.N {
			close(r.allFirst)
		}
	}
}

// watch follows the Job's pods until cleanup: it starts following each pod's log once its
// attacker runs, and notes how each ended.
func (r *attackRun) watch() {
	pods := r.cs.CoreV1().Pods(r.ns)
	sel := metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + r.job.Name}
	for r.bg.Err() == nil {
		list, err := pods.List(r.bg, sel)
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		for i := range list.Items {
			r.see(&list.Items[i], false)
		}
		w := sel
		w.ResourceVersion = list.ResourceVersion
		wi, err := pods.Watch(r.bg, w)
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		for ev := range wi.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok {
				r.see(p, ev.Type == watch.Deleted)
			}
		}
		wi.Stop()
	}
}

// see takes one state of one pod.
func (r *attackRun) see(p *corev1.Pod, deleted bool) {
	name, ok := attackerName(p)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pods[p.Name] = p
	if !r.streaming[p.Name] && started(p) {
		r.streaming[p.Name] = true
		r.streams.Add(1)
		go r.follow(p.Name)
	}
	over, why := ended(p)
	if over {
		r.final[name] = p
	}
	if r.stopping {
		return
	}
	switch {
	case over && exitedWell(p) && r.o.Duration > 0: // its duration done
		if !r.completed[name] {
			r.completed[name] = true
			if len(r.completed) == r.a.N {
				close(r.finished)
			}
		}
	case over && exitedWell(p):
		r.fail(fmt.Errorf("%s: pod %s ended before the load was to stop: %s (its bound is %s)", name, p.Name, why, r.a.Bound))
	case over:
		r.fail(fmt.Errorf("%s: pod %s failed while it attacked: %s", name, p.Name, why))
	case deleted || p.DeletionTimestamp != nil:
		r.fail(fmt.Errorf("%s: pod %s was deleted while it attacked (evicted, drained, or its job failed)", name, p.Name))
	}
}

// fail records an attacker that ended before its time, once for each pod. r.mu is held.
func (r *attackRun) fail(err error) {
	for _, e := range r.failed {
		if e.Error() == err.Error() {
			return
		}
	}
	if len(r.failed) == 0 {
		close(r.failedCh)
	}
	r.failed = append(r.failed, err)
	logEvent(r.log, "attacker failed", err.Error())
}

// failures is every attacker's failure so far, as one error.
func (r *attackRun) failures() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.failed...)
}

// started says whether the pod's attacker has started, so that its log can be read.
func started(p *corev1.Pod) bool {
	for _, st := range p.Status.ContainerStatuses {
		if st.Name == attackerContainer && (st.State.Running != nil || st.State.Terminated != nil) {
			return true
		}
	}
	return false
}

// follow reads one pod's log until its attacker ends: every line a result, or a word of
// its own (a signal noted, an error), which goes on the timeline.
func (r *attackRun) follow(pod string) {
	defer r.streams.Done()
	req := r.cs.CoreV1().Pods(r.ns).GetLogs(pod, &corev1.PodLogOptions{Container: attackerContainer, Follow: true})
	rc, err := req.Stream(r.bg)
	if err != nil {
		r.note(pod, "its log: "+err.Error())
		return
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		res, err := attack.DecodeLine(sc.Text())
		if err != nil {
			r.note(pod, sc.Text())
			continue
		}
		r.add(res)
	}
	if err := sc.Err(); err != nil && r.bg.Err() == nil {
		r.note(pod, "its log: "+err.Error())
	}
}

// note puts a line of an attacker's log that is no result on the timeline (a few at most).
func (r *attackRun) note(pod, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.notes++; r.notes <= 5 {
		logEvent(r.log, "attacker "+pod, result.Short(line, 200))
	}
}

// states says where each pod is, for an error.
func (r *attackRun) states() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pods) == 0 {
		return "no pod yet"
	}
	var out []string
	for _, p := range r.pods {
		s := string(p.Status.Phase)
		for _, st := range p.Status.ContainerStatuses {
			if w := st.State.Waiting; w != nil {
				s += " " + w.Reason + " " + w.Message
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Status != corev1.ConditionTrue && c.Message != "" {
				s += " " + c.Message
			}
		}
		out = append(out, p.Name+": "+s)
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}

// wait is the second half of Attack: stop, collect, check, clean up.
func (r *attackRun) wait(ctx context.Context) (*result.Run, error) {
	select {
	case <-r.o.Stop:
	case <-ctx.Done():
	case <-r.failedCh:
	case <-r.finished:
	}
	interrupted := ctx.Err() != nil
	r.stop()
	// The pods answer what they sent within the request timeout; their ends reach the
	// watch a few seconds later.
	deadline := time.Now().Add(r.o.Timeout + 30*time.Second)
	streamsDone := make(chan struct{})
	go func() { r.streams.Wait(); close(streamsDone) }()
	select {
	case <-streamsDone:
	case <-time.After(time.Until(deadline)):
	}
	for !r.allEnded() && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	errs := r.check()
	run := r.col.Finish(context.Background(), interrupted)
	if run.Meta == nil {
		run.Meta = map[string]string{}
	}
	run.Meta["from"] = "cluster"
	run.Meta["attackers"] = fmt.Sprint(r.a.N)
	// Each attacker's own count, as it arrived (and, when errs is nil, as it said it sent):
	// the merged Requests is their sum.
	var each []string
	for i := range r.a.N {
		each = append(each, fmt.Sprint(r.col.Received(fmt.Sprintf("attacker-%d", i)).Requests))
	}
	run.Meta["attacker_requests"] = strings.Join(each, "+")
	r.cleanup()
	return run, errs
}

// stop asks every attacker to stop: its pod is deleted gracefully, SIGTERM, and from now
// on its end is expected.
func (r *attackRun) stop() {
	r.mu.Lock()
	r.stopping = true
	names := make([]string, 0, len(r.pods))
	for n := range r.pods {
		names = append(names, n)
	}
	r.mu.Unlock()
	logEvent(r.log, "attackers stop", "")
	grace := int64((r.o.Timeout + 10*time.Second).Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range names {
		err := r.cs.CoreV1().Pods(r.ns).Delete(ctx, n, metav1.DeleteOptions{GracePeriodSeconds: &grace})
		if err != nil && !apierrors.IsNotFound(err) {
			r.note(n, "delete: "+err.Error())
		}
	}
}

// allEnded says whether every attacker's pod has ended.
func (r *attackRun) allEnded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.final) >= r.a.N
}

// check compares what each attacker says it sent with what arrived of it.
func (r *attackRun) check() error {
	r.mu.Lock()
	errs := append([]error(nil), r.failed...)
	final := r.final
	r.mu.Unlock()
	for i := range r.a.N {
		name := fmt.Sprintf("attacker-%d", i)
		p := final[name]
		if p == nil {
			errs = append(errs, fmt.Errorf("%s: its pod's end was not seen: %s", name, r.states()))
			continue
		}
		sent, err := summaryOf(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if got := r.col.Received(name); !got.Same(sent) {
			errs = append(errs, fmt.Errorf("%s: %d results (%d OK, failed %v) arrived of the %d it sent (%d OK, failed %v): results lost on the way",
				name, got.Requests, got.OK, got.Errors, sent.Requests, sent.OK, sent.Errors))
		}
	}
	return errors.Join(errs...)
}

// cleanup deletes the Job and whatever pods it still has, and ends the watch and the
// streams.
func (r *attackRun) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	zero := int64(0)
	if err := r.cs.BatchV1().Jobs(r.ns).Delete(ctx, r.job.Name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
		fmt.Fprintf(r.out, "attackers: delete job %s: %v\n", r.job.Name, err)
	}
	r.mu.Lock()
	stopping := r.stopping
	r.mu.Unlock()
	if !stopping { // Attack failed: nothing to wait for
		_ = r.cs.CoreV1().Pods(r.ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero},
			metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + r.job.Name})
	}
	fmt.Fprintf(r.out, "$ kubectl delete -n %s job %s\n", r.ns, r.job.Name)
	r.cancel()
}
