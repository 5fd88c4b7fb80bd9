package ports

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// locationJSON has pointers so that a missing coordinate is not 0.
type locationJSON struct {
	Lat *float64 `json:"lat"`
	Lng *float64 `json:"lng"`
}

func (l *locationJSON) location(field string) (domain.Location, error) {
	if l == nil {
		return domain.Location{}, required(field)
	}
	if l.Lat == nil {
		return domain.Location{}, required(field + ".lat")
	}
	if l.Lng == nil {
		return domain.Location{}, required(field + ".lng")
	}
	return domain.Location{Lat: *l.Lat, Lng: *l.Lng}, nil
}

type userRequest struct {
	UserID       string        `json:"user_id,omitempty"`
	RegisteredAt *time.Time    `json:"registered_at"`
	Location     *locationJSON `json:"location"`
}

func (r userRequest) command(id, field string) (app.RegisterUser, error) {
	if r.RegisteredAt == nil {
		return app.RegisterUser{}, required(field + "registered_at")
	}
	cmd := app.RegisterUser{UserID: id, RegisteredAt: *r.RegisteredAt}
	if r.Location != nil {
		loc, err := r.Location.location(field + "location")
		if err != nil {
			return app.RegisterUser{}, err
		}
		cmd.Location = &loc
	}
	return cmd, nil
}

type userJSON struct {
	UserID          string           `json:"user_id"`
	RegisteredAt    time.Time        `json:"registered_at"`
	Location        *domain.Location `json:"location"`
	RecentPurchases int              `json:"recent_purchases"`
	Segments        []domain.Segment `json:"segments"`
}

func userOut(u app.UserView) userJSON {
	segments := u.Segments
	if segments == nil {
		segments = []domain.Segment{}
	}
	return userJSON{u.ID, u.RegisteredAt, u.Location, u.RecentPurchases, segments}
}

func (s *Server) putUser(c echo.Context) error {
	var req userRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.UserID != "" && req.UserID != c.Param("user_id") {
		return invalid("user_id: does not match the path")
	}
	cmd, err := req.command(c.Param("user_id"), "")
	if err != nil {
		return err
	}
	return s.userResult(c)(s.app.Commands.RegisterUser.Handle(c.Request().Context(), cmd))
}

func (s *Server) postUsers(c echo.Context) error {
	var req struct {
		Users []json.RawMessage `json:"users"` // decoded one by one, so an error names its entry
	}
	if err := decodeUpTo(c, &req, MaxBatchBody); err != nil {
		return err
	}
	if req.Users == nil {
		return required("users")
	}
	if len(req.Users) > app.MaxBatch {
		return invalid(fmt.Sprintf("users: at most %d a request", app.MaxBatch))
	}
	cmd := app.RegisterUsers{Users: make([]app.RegisterUser, len(req.Users))}
	for i, entry := range req.Users {
		field := "users[" + strconv.Itoa(i) + "]."
		var u userRequest
		if err := decodeEntry(entry, &u, "users["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
		if u.UserID == "" {
			return required(field + "user_id")
		}
		var err error
		if cmd.Users[i], err = u.command(u.UserID, field); err != nil {
			return err
		}
	}
	n, err := s.app.Commands.RegisterUsers.Handle(c.Request().Context(), cmd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"accepted": n})
}

func (s *Server) putLocation(c echo.Context) error {
	var req locationJSON
	if err := decode(c, &req); err != nil {
		return err
	}
	loc, err := req.location("location")
	if err != nil {
		return err
	}
	return s.userResult(c)(s.app.Commands.MoveUser.Handle(c.Request().Context(), app.MoveUser{UserID: c.Param("user_id"), Location: loc}))
}

func (s *Server) postPurchase(c echo.Context) error {
	var req struct {
		PurchaseID  string     `json:"purchase_id"`
		PurchasedAt *time.Time `json:"purchased_at"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.PurchasedAt == nil {
		return required("purchased_at")
	}
	cmd := app.RecordPurchase{UserID: c.Param("user_id"), PurchaseID: req.PurchaseID, PurchasedAt: *req.PurchasedAt}
	return s.userResult(c)(s.app.Commands.RecordPurchase.Handle(c.Request().Context(), cmd))
}

func (s *Server) getUser(c echo.Context) error {
	return s.userResult(c)(s.app.Queries.User.Handle(c.Request().Context(), app.GetUser{ID: c.Param("user_id")}))
}

func (s *Server) userResult(c echo.Context) func(app.UserView, error) error {
	return func(u app.UserView, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, userOut(u))
	}
}

type visibleJSON struct {
	ID           string         `json:"id"`
	Store        domain.Store   `json:"store"`
	Product      domain.Product `json:"product"`
	RegularPrice domain.Money   `json:"regular_price"`
	PromoPrice   domain.Money   `json:"promo_price"`
	EndsAt       time.Time      `json:"ends_at"`
	Available    int            `json:"available"`
	DistanceM    float64        `json:"distance_m"`
}

func (s *Server) getUserPromos(c echo.Context) error {
	q := app.UserPromos{UserID: c.Param("user_id")}
	if lat, lng := c.QueryParam("lat"), c.QueryParam("lng"); lat != "" || lng != "" {
		loc, err := parseLocation(lat, lng)
		if err != nil {
			return err
		}
		q.At = &loc
	}
	ps, err := s.app.Queries.UserPromos.Handle(c.Request().Context(), q)
	if err != nil {
		return err
	}
	buf := replies.Get().(*[]byte)
	defer replies.Put(buf)
	body, err := s.visible.encode((*buf)[:0], ps)
	if err != nil {
		return err
	}
	*buf = body[:0] // grown, if it had to: kept for the next reply
	// Its length, known: net/http then writes the reply as it is, not in
	// chunks, and saves a write to the socket for the last one.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.JSONBlob(http.StatusOK, body)
}

// replies are the buffers of the users' promos replies: the hottest
// reply of the service writes into one and hands it back once written.
var replies = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func parseLocation(lat, lng string) (domain.Location, error) {
	if lat == "" || lng == "" {
		return domain.Location{}, invalid("lat and lng go together")
	}
	la, err1 := strconv.ParseFloat(lat, 64)
	ln, err2 := strconv.ParseFloat(lng, 64)
	if err1 != nil || err2 != nil {
		return domain.Location{}, invalid("lat and lng must be numbers")
	}
	return domain.Location{Lat: la, Lng: ln}, nil
}

type notificationJSON struct {
	ID      string    `json:"id"`
	PromoID string    `json:"promo_id"`
	SentAt  time.Time `json:"sent_at"`
	Title   string    `json:"title"`
	Body    string    `json:"body"`
}

func (s *Server) getNotifications(c echo.Context) error {
	ns, err := s.app.Queries.Notifications.Handle(c.Request().Context(), app.UserNotifications{UserID: c.Param("user_id")})
	if err != nil {
		return err
	}
	out := make([]notificationJSON, len(ns))
	for i, n := range ns {
		out[i] = notificationJSON{n.NotificationID, n.PromoID, n.SentAt, n.Title, n.Body}
	}
	return c.JSON(http.StatusOK, map[string][]notificationJSON{"notifications": out})
}
