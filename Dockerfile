# hello, the scalelab demo service: a static binary in an empty image, run as a non-root
# user, as PID 1 (exec-form ENTRYPOINT) so that it receives SIGTERM itself.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY *.go ./
COPY internal/ ./internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /hello .

FROM scratch
COPY --from=build /hello /hello
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/hello"]
