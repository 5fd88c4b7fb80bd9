# syntax=docker/dockerfile:1
# Flash Promo: a static binary on a small, non-root runtime image.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/flashpromo ./cmd/flashpromo

# Alpine rather than distroless: BusyBox wget serves the health check. The
# zone database is built into the binary (time/tzdata).
FROM alpine:3.22
RUN addgroup -S -g 10001 flashpromo && adduser -S -D -H -u 10001 -G flashpromo flashpromo
COPY --from=build /out/flashpromo /usr/local/bin/flashpromo
USER 10001:10001
ENV FLASHPROMO_HTTP_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -qO- http://127.0.0.1:8080/healthz >/dev/null || exit 1
# Other subcommands: docker run --entrypoint flashpromo IMAGE migrate
ENTRYPOINT ["/usr/local/bin/flashpromo", "serve"]
