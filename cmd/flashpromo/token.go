package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flashpromo/flashpromo/ports/auth"
)

// tokenCommand mints a JWT signed with the service's HS256 secret, for
// local use and tests; production tokens come from the identity provider.
func tokenCommand() *cobra.Command {
	var t auth.Token
	var roles, secret string
	cmd := &cobra.Command{
		Use:   "token --sub ID [--roles r1,r2] [--store-id S] [--ttl 1h]",
		Short: "Print a JWT signed with FLASHPROMO_JWT_SECRET, for local use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if secret == "" {
				return errors.New("FLASHPROMO_JWT_SECRET (or --jwt-secret) is needed to sign a token")
			}
			if roles != "" {
				t.Roles = strings.Split(roles, ",")
				if unknown := unknownRoles(t.Roles); len(unknown) > 0 {
					return fmt.Errorf("unknown roles %v: each of client, store, marketplace, analyst, admin", unknown)
				}
			}
			t.IssuedAt = time.Now()
			tok, err := auth.Mint(secret, t)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&t.Subject, "sub", "", "the user id the token names (required)")
	fs.StringVar(&roles, "roles", "", "comma list of client, store, marketplace, analyst, admin (default client)")
	fs.StringVar(&t.StoreID, "store-id", "", "the store a store token manages")
	fs.DurationVar(&t.TTL, "ttl", time.Hour, "how long the token is valid")
	fs.StringVar(&t.Issuer, "iss", os.Getenv("FLASHPROMO_JWT_ISSUER"), "issuer claim (FLASHPROMO_JWT_ISSUER)")
	fs.StringVar(&t.Audience, "aud", os.Getenv("FLASHPROMO_JWT_AUDIENCE"), "audience claim (FLASHPROMO_JWT_AUDIENCE)")
	fs.StringVar(&secret, "jwt-secret", os.Getenv("FLASHPROMO_JWT_SECRET"), "HS256 secret (prefer FLASHPROMO_JWT_SECRET)")
	_ = cmd.MarkFlagRequired("sub")
	return cmd
}

func unknownRoles(names []string) []string {
	var unknown []string
	for _, n := range names {
		if auth.ParseRoles([]string{n}) == 0 {
			unknown = append(unknown, n)
		}
	}
	return unknown
}
