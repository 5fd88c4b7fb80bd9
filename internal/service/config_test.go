package service

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestReholdCooldownConfig: the cooldown follows the hold TTL unless set,
// by flag or variable; 0 turns it off and a negative one is refused.
func TestReholdCooldownConfig(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		env     string
		want    time.Duration
		wantErr bool
	}{
		{name: "default follows the hold TTL", args: []string{"--hold-ttl=90s"}, want: 90 * time.Second},
		{name: "flag", args: []string{"--rehold-cooldown=10s"}, want: 10 * time.Second},
		{name: "variable", env: "2m", want: 2 * time.Minute},
		{name: "flag beats variable", args: []string{"--rehold-cooldown=5s"}, env: "2m", want: 5 * time.Second},
		{name: "zero turns it off", env: "0", want: 0},
		{name: "negative refused", args: []string{"--rehold-cooldown=-1s"}, wantErr: true},
		{name: "malformed variable refused", env: "soon", wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("FLASHPROMO_REHOLD_COOLDOWN", c.env)
			}
			cfg := DefaultConfig()
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			cfg.Flags(fs)
			err := fs.Parse(c.args)
			if err == nil {
				err = ApplyEnv(fs)
			}
			if err == nil {
				err = cfg.validate()
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want error %v", err, c.wantErr)
			}
			if !c.wantErr && cfg.cooldown() != c.want {
				t.Errorf("cooldown %s, want %s", cfg.cooldown(), c.want)
			}
		})
	}
}
