package ports

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/ports/auth"
)

// access decides whether a verified caller may call a route, and which of
// its roles allows it (recorded with the events the request appends).
type access func(c echo.Context, p auth.Principal) (auth.Role, bool)

// roles allows callers holding any of allowed; the admin token acts as
// admin, a token as the first of allowed it holds.
func roles(allowed ...auth.Role) access {
	return func(_ echo.Context, p auth.Principal) (auth.Role, bool) {
		if p.Operator {
			return auth.Admin, true
		}
		for _, r := range allowed {
			if p.Roles.Has(r) {
				return r, true
			}
		}
		return 0, false
	}
}

// selfOr allows a client on its own user's routes, and callers holding any
// of others on every user's.
func selfOr(others ...auth.Role) access {
	others_ := roles(others...)
	return func(c echo.Context, p auth.Principal) (auth.Role, bool) {
		if !p.Operator && p.Roles.Has(auth.Client) && p.Subject == c.Param("user_id") {
			return auth.Client, true
		}
		return others_(c, p)
	}
}

// anyCaller allows every verified caller, whatever its roles.
func anyCaller(c echo.Context, p auth.Principal) (auth.Role, bool) {
	r, _ := roles(auth.Admin, auth.Marketplace, auth.Store, auth.Analyst, auth.Client)(c, p)
	return r, true
}

// caller is the verified caller of a request and the role that let it in.
type caller struct {
	auth.Principal
	role auth.Role
}

const callerKey = "flashpromo.caller"

func callerOf(c echo.Context) caller {
	if cl, ok := c.Get(callerKey).(*caller); ok {
		return *cl
	}
	return caller{}
}

// guard verifies the credential and applies the route's rule, before the
// body is read and before any other rule: 401 without a valid credential,
// 403 when its roles do not allow the route.
func (s *Server) guard(rule access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			p, err := s.verifier.Verify(req.Context(), req.Header.Get(echo.HeaderAuthorization))
			if err != nil {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="flashpromo"`)
				return refuse(c, problem(http.StatusUnauthorized, "unauthorized", "missing, invalid or expired credential"))
			}
			role, ok := rule(c, p)
			if !ok {
				return refuse(c, forbidden("this credential's roles may not call this endpoint"))
			}
			if !s.probes.CaughtUp.Load() {
				return s.probes.starting(c)
			}
			c.Set(callerKey, &caller{p, role})
			if req.Method != http.MethodGet { // a read appends nothing: no one to record
				actor := app.Actor{ID: p.Subject, Role: role.String(), RequestID: requestIDOf(c)}
				c.SetRequest(req.WithContext(app.WithActor(req.Context(), actor)))
			}
			return next(c)
		}
	}
}

// refuse answers a request refused unread; its body, if any, is dropped
// (within bounds) so that a client that sends it whole still reads why.
func refuse(c echo.Context, err error) error {
	if c.Request().ContentLength != 0 {
		linger(c, 0)
	}
	return err
}

func forbidden(message string) error { return problem(http.StatusForbidden, "forbidden", message) }

// actingUser is the user a reservation command acts for: a client acts as
// itself, and a user_id it gives must be its own; an admin acts for the
// user_id given (or as itself when it is also a client).
func actingUser(c echo.Context, given string) (string, error) {
	cl := callerOf(c)
	self := cl.Roles.Has(auth.Client) && !cl.Operator
	switch {
	case cl.role == auth.Admin && given != "":
		return given, nil
	case self && (given == "" || given == cl.Subject):
		return cl.Subject, nil
	case self:
		return "", forbidden("a client acts only for its own user")
	}
	return "", required("user_id")
}

// mayRead refuses a client reading another user's resource.
func mayRead(c echo.Context, owner string) error {
	if cl := callerOf(c); cl.role == auth.Client && cl.Subject != owner {
		return forbidden("a client reads only its own user's resources")
	}
	return nil
}

// ownStore refuses a store acting on another store's promos.
func ownStore(c echo.Context, storeID string) error {
	if cl := callerOf(c); cl.role == auth.Store && cl.StoreID != storeID {
		return forbidden("a store manages only its own promos")
	}
	return nil
}
