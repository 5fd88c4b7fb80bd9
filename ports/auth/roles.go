// Package auth verifies who calls: the operator's admin token, or a JWT of
// the marketplace's identity provider (HS256 with a shared secret, or keys
// of a JWK Set by kid). It decides who the caller is and which roles they
// hold; which role may call what is the HTTP port's table.
package auth

// Role is one of the contract's roles.
type Role uint8

const (
	Client Role = 1 << iota
	Store
	Marketplace
	Analyst
	Admin
)

var roleNames = []struct {
	role Role
	name string
}{{Client, "client"}, {Store, "store"}, {Marketplace, "marketplace"}, {Analyst, "analyst"}, {Admin, "admin"}}

// Roles is a set of roles.
type Roles uint8

// AllRoles is what the admin token holds.
const AllRoles = Roles(Client | Store | Marketplace | Analyst | Admin)

// Has reports whether r holds role.
func (r Roles) Has(role Role) bool { return r&Roles(role) != 0 }

func (r Role) String() string {
	for _, n := range roleNames {
		if n.role == r {
			return n.name
		}
	}
	return "none"
}

// ParseRoles reads a token's roles claim; unknown names are ignored, so an
// identity provider may hold roles of other services in the same claim.
func ParseRoles(names []string) Roles {
	var r Roles
	for _, name := range names {
		for _, n := range roleNames {
			if name == n.name {
				r |= Roles(n.role)
			}
		}
	}
	return r
}

// Names lists the roles of r in the contract's order.
func (r Roles) Names() []string {
	var out []string
	for _, n := range roleNames {
		if r.Has(n.role) {
			out = append(out, n.name)
		}
	}
	return out
}

// Principal is a verified caller.
type Principal struct {
	Subject  string // the user id (sub), or "admin-token"
	Roles    Roles
	StoreID  string // the one store a store token manages
	Operator bool   // the admin token: every role, acts for any user
}

// AdminSubject is the actor the admin token's requests are recorded as.
const AdminSubject = "admin-token"
