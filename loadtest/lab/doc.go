// Package lab is the Platform "lab": a configuration's pods run as real hello processes
// on loopback addresses, with no cluster and no container engine. The lab does to them
// what Kubernetes does, to the second where the lesson depends on it, and puts every
// transition on the run's timeline. Package main's platform flags make one (lab.New); the
// scenarios drive it through scenario.Platform.
//
// # What it models
//
// The Deployment and ReplicaSet controllers (controller.go, update.go): a ReplicaSet per
// generation of the pod template, named by its pod-template-hash (a rollout restart is a
// new generation); the rolling update within maxSurge and maxUnavailable, pods counting as
// available after minReadySeconds; the Recreate strategy; a ReplicaSet deleting first the
// pods not ready, then those ready for the least time, with the most restarts, newest.
//
// The kubelet (pod.go, probe.go, proc*.go): it admits a pod a drawn while after its
// creation, starting its probe workers, and runs its first container a drawn while later
// (the sandbox), both fitted to the bare cluster (draws.go); a container is a hello process
// leading its own process group at the pod's address, restarted as restartPolicy Always
// does (at once, then a crash-loop back-off from 10 s doubling to 5 min); the startup,
// readiness and liveness probes with every field and default, a failed liveness or
// startup probe restarting the container; and a pod's deletion: the preStop hook (sleep,
// exec `hello sleep`, httpGet) within the grace period, SIGTERM with what is left of it
// (whole seconds, at least 2 s), SIGKILL at its end, and the sandbox torn down 1 s after
// the last container ended (sandboxTeardown, from the bare cluster's timings). Then the
// pod is gone.
//
// The endpoints controller (routes.go): the ready endpoints are published at every
// change; a deleted pod leaves them at once (ready: false, terminating), while its kill
// runs in parallel.
//
// The disruption controller and the Eviction API (evict.go): after every change the
// PodDisruptionBudget's status is computed as the controller computes it
// (manifest.BudgetStatus: the pods expected from the Deployment's replicas, or the pods
// themselves for an integer minAvailable; the healthy pods desired; the ready ones; the
// disruptions allowed), and an eviction is answered as the API server answers it: a pod
// deleted as DeletePod deletes one when the budget allows, the allowance spent until the
// next computation, 429 TooManyRequests when none is left.
//
// kube-proxy (service.go): the service path, an L4 forwarder. Each new connection goes to
// a random endpoint and stays pinned to it, as conntrack pins it; endpoint changes arrive
// PropagationDelay late (the CLI's default 1 s; the bare cluster's kube-proxy took about
// 0.75 s). A loss shows as a reset where iptables' DNAT gives refused: count them together.
//
// The ingress (ingress.go): the ingress path, an L7 proxy that balances round robin per
// request and keeps connections to the pods alive, standing in for the project's real
// ingress, Skipper v0.23.0. What the lab takes from Skipper, measured on this project's
// machines (and read in its v0.23.0 source where marked):
//
//   - It follows the Endpoints (or, with -enable-kubernetes-endpointslices, the
//     EndpointSlices) by polling the API every -source-poll-timeout, 3 s by default: a
//     change reaches its routes 0 to 3 s later (a terminating endpoint left them after
//     1.1 s in one try, emptied Endpoints after 2.0 s in another). IngressPoll models the
//     poll; without it the ingress lags PropagationDelay, like kube-proxy. Skipper's
//     ticker runs from its own start (source: routing/datasource.go), so a run's action
//     falls at a uniformly drawn phase of it: the lab draws the phase afresh whenever it
//     has settled (Settle), and within a run keeps the period.
//   - Its answer to a failed upstream, each case tried three times on loopback: refused
//     502, reset after reading the request 503, closed without an answer 500; no endpoint
//     left 502 (against a real kube-apiserver); and (source) a connect that times out 502,
//     an answer that does not come in time 504, a client gone first 499.
//   - Its upstream timeouts (source: -timeout-backend for the connect and
//     -response-header-timeout-backend, both 60 s): longer than a client of the matrix
//     waits, so a request to a pod that answers nothing ends in the client's timeout.
//   - A failed request on a reused keep-alive connection is retried once by Go's
//     transport, which Skipper uses too.
//
// A vanished pod IP (hole.go): once a pod is gone, its IP has no one behind it, and a
// proxy that still routes there (Skipper until its next poll) gets no answer at all; on
// the bare cluster those requests timed out (a naive scale-down via the ingress: 74 × 502
// and 76 timeouts). So from the moment a pod is gone until no proxy routes to its address,
// the address is a hole that accepts and never answers, and a request there ends in its
// client's timeout; between the container's exit and the pod's end the address refuses,
// and the ingress answers 502.
//
// # Draws
//
// Every lesson is a race, so one run is one draw. The lab draws where the cluster does, so
// that a matrix's trials, and the pod transitions within one run, are independent draws:
// the ingress's poll phase whenever the lab has settled (uniform over the period), and each
// pod's admission and sandbox delays (draws.go: 0.3 s plus an exponential of mean 0.17 s,
// 0.2 s plus one of mean 0.55 s, fitted to the 52 pods of the bare cluster's fast runs),
// which set when its container runs, when its probes tick and so when a rollout deletes
// the next old pod. Without them a pod would run at once and turn ready a whole number of
// probe periods after its creation, and Settle would end right after a poll: a fast
// rollout would delete a pod every 6 s, twice the 3 s poll, and one phase would decide
// every deletion of every trial (measured so: 15 deletions in 5 trials, each dropped by
// the ingress 0.60 to 0.69 s after its SIGTERM).
// Options.Seed seeds the draws: a fixed seed replays them; 0, the default, draws a seed.
//
// Not drawn, though they vary on the cluster: the endpoints controller's publishing of a
// deleted pod (0.01 to 0.77 s after the deletion there, at once here), the kubelet's
// SIGTERM (0.27 s after it there, at once here), the kubelet's relist that reports a
// started container (up to 1 s), kube-proxy's sync (at most once per minSyncPeriod, 1 s by
// default) and sandboxTeardown (a fixed 1 s).
//
// The HorizontalPodAutoscaler (hpa.go, hpacontroller.go): of a configuration that has
// one, metrics-server reading each hello's CPU time from /proc and the HPA controller of
// v1.34 scaling the Deployment by it, every reading on the timeline.
//
// # Left out, on purpose
//
// kube-proxy's fallback to terminating endpoints when none is ready; a scale during a
// rollout spread in proportion over the ReplicaSets; anything about nodes: an evicted
// pod's replacement starts at once, as on a cluster with room on another node (no
// cordon). Skipper retries a request whose connect failed once more, on the next
// endpoint, when its route has two endpoints or more and the request no body (source:
// proxy.go, retryable): the lab's ingress does not, so where some pods refuse it answers
// 502 more often than Skipper.
//
// A pod is a process of this user listening on an address of its own, 127.64-127.127.*.*
// (on Linux; 127.0.0.1 elsewhere), on a port in 20000-29999 (controller.go, podAddr).
//
// # Goroutines and the lock
//
// The lab runs these goroutines:
//
//   - control: the controllers' loop; reconcileLocked and syncDisruptionLocked whenever
//     kicked (changedLocked kicks).
//   - per pod, run: the kubelet's pod worker (admit, start, watch, restart, kill, finish); a
//     goroutine per preStop hook while it runs.
//   - per probe of a pod, prober.loop: the kubelet's probe worker, from the pod's admission.
//   - per process, one waiting for it to exit (proc.go); one spawner goroutine, locked to
//     its OS thread for its whole life, starts every process (see spawner).
//   - timers: propagate (an endpoint set reaching one proxy), poke (minReadySeconds
//     over), and a hole's linger.
//   - the autoscaler, when the configuration has an HPA: its metrics reads and syncs
//     (autoscaler.run), taking Lab.mu around each.
//   - the service path: its accept loop, and per connection a forwarder with a second
//     goroutine for the other direction; the ingress: net/http's server, a goroutine per
//     connection; a hole: its accept loop and one goroutine per connection it holds.
//
// One lock, Lab.mu, guards the lab's state: the Lab's fields declared after it, every
// replicaSet, and every pod's, container's and prober's fields marked as guarded by it. A
// method named *Locked must be called with Lab.mu held, and neither takes nor releases it;
// it does no waiting (no network round trip, no sleep, no process wait), only the brief
// system calls of a listen (podAddr, openHole). Lab.mu is taken by the Platform methods
// (Deploy, Scale, Restart, Update, DeletePod, Evictable, Evict; Settle while it checks),
// the control loop, the pod worker at each transition (startContainer, exited, finish), a
// prober around each probe but never during it, poke (so every propagation),
// releaseHole, and a hole's close callback. Every change under it ends in changedLocked,
// which publishes the endpoints, schedules their propagation, kicks the controllers and
// wakes the waiters.
//
// Lab.mu also guards each route table's poll epoch (rephaseLocked, lagLocked). The
// smaller locks each guard one thing and never call out: routeTable.mu orders the updates
// of a route table (proxies read it lock-free, from an atomic pointer), service.mu and
// hole.mu their sets of connections. Lab.mu may be held while taking hole.mu (release),
// never the other way round; a route table is updated before Lab.mu is taken (propagate).
package lab
