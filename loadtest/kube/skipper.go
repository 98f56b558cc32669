package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// Skipper serves its routing table on its support listener: GET /routes with Accept:
// application/json is a JSON array of routes, each with its id and backend (eskip's JSON
// form), a page of at most 1024 routes (offset and limit page on), the table's size in
// the X-Count header. The Kubernetes data client names an Ingress's routes
// kube_<namespace>__<ingress>__<host>__<path>__<service>, every non-word character
// replaced by "_", and gives each the endpoints of its Service's EndpointSlices as an
// "lb" backend ("http://10.244.0.7:8080"); a route to a single address may be a
// "network" backend instead. Skipper refreshes the table from the API every
// -source-poll-timeout (3 s by default): the moment the table changes is the moment the
// ingress starts or stops sending requests to a pod.

// SkipperPoll is how often Skipper's routing table is read while a run is observed. One
// reading costs Skipper a JSON encoding of its table; of the bare cluster's few routes
// one took 0.45 ms (mean of 20, TestRoutesOnRealCluster).
const SkipperPoll = 100 * time.Millisecond

// skipperPages bounds the pages read in one reading of a table (1024 routes each).
const skipperPages = 16

// skipperRoute is the part of one of Skipper's routes that names where it sends requests.
type skipperRoute struct {
	ID      string `json:"id"`
	Backend *struct {
		Type      string   `json:"type"`
		Address   string   `json:"address"`
		Endpoints []string `json:"endpoints"`
	} `json:"backend"`
}

// skipperTable is Skipper's table as a routeTable, when Options.IngressRoutes names it.
func (c *Cluster) skipperTable() (routeTable, bool) {
	if c.opts.IngressRoutes == "" {
		return routeTable{}, false
	}
	client := &http.Client{Timeout: 2 * time.Second}
	src := sharedSource(c.sources, c.opts.IngressRoutes, SkipperPoll/2, func(ctx context.Context) ([]skipperRoute, error) {
		return readSkipperRoutes(ctx, client, c.opts.IngressRoutes)
	})
	prefix := skipperPrefix(c.ns)
	return routeTable{via: result.ViaIngress, every: SkipperPoll, read: func(ctx context.Context) (reading, error) {
		routes, sent, got, err := src.read(ctx)
		if err != nil {
			return reading{}, err
		}
		keep := func(addr string) bool { return c.ips.pod(addr) != "" }
		return reading{addrs: skipperEndpoints(routes, prefix, keep), sent: sent, got: got}, nil
	}}, true
}

// nonWord is what Skipper's Kubernetes data client replaces by "_" in a route's id.
var nonWord = regexp.MustCompile(`\W`)

// skipperPrefix begins the id of every route of an Ingress in namespace ns.
func skipperPrefix(ns string) string { return "kube_" + nonWord.ReplaceAllString(ns, "_") + "__" }

// readSkipperRoutes reads Skipper's whole routing table from its /routes URL, page by page.
func readSkipperRoutes(ctx context.Context, client *http.Client, routesURL string) ([]skipperRoute, error) {
	var all []skipperRoute
	for range skipperPages {
		u, err := url.Parse(routesURL)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("offset", strconv.Itoa(len(all)))
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		page, total, err := decodeSkipperPage(resp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", routesURL, err)
		}
		all = append(all, page...)
		if len(page) == 0 || len(all) >= total {
			return all, nil
		}
	}
	return nil, fmt.Errorf("%s: more than %d pages of routes", routesURL, skipperPages)
}

// decodeSkipperPage reads one page of routes and the table's size (X-Count; the page's
// own size when the header is missing).
func decodeSkipperPage(resp *http.Response) ([]skipperRoute, int, error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, 0, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	var page []skipperRoute
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, 0, fmt.Errorf("routes: %w", err)
	}
	total, err := strconv.Atoi(resp.Header.Get("X-Count"))
	if err != nil {
		total = len(page)
	}
	return page, total, nil
}

// skipperEndpoints are the addresses ("10.244.0.7:8080") the routes whose id begins with
// prefix send requests to, those for which keep says yes.
func skipperEndpoints(routes []skipperRoute, prefix string, keep func(addr string) bool) map[string]bool {
	out := map[string]bool{}
	for _, r := range routes {
		if !strings.HasPrefix(r.ID, prefix) || r.Backend == nil {
			continue
		}
		urls := r.Backend.Endpoints
		if r.Backend.Type == "network" && r.Backend.Address != "" {
			urls = append(urls, r.Backend.Address)
		}
		for _, s := range urls {
			u, err := url.Parse(s)
			if err != nil || u.Host == "" {
				continue
			}
			if keep == nil || keep(u.Host) {
				out[u.Host] = true
			}
		}
	}
	return out
}
