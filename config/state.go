package config

import "path/filepath"

// ExpiryLedgerPath is where cfsign records, per key pair ID, the latest
// expiry it has signed: $XDG_STATE_HOME/cfsign/signed-expiries.json, else
// $HOME/.local/state/cfsign/signed-expiries.json.
func ExpiryLedgerPath(getenv func(string) string) string {
	return filepath.Join(xdg(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state")), "cfsign", "signed-expiries.json")
}
