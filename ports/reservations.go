package ports

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

type reservationJSON struct {
	ID        string       `json:"id"`
	PromoID   string       `json:"promo_id"`
	UserID    string       `json:"user_id"`
	Status    string       `json:"status"`
	Price     domain.Money `json:"price"`
	ExpiresAt time.Time    `json:"expires_at"`
}

func reservationOut(r app.ReservationView) reservationJSON {
	return reservationJSON{r.ID, r.PromoID, r.UserID, string(r.Status), r.Price, r.ExpiresAt}
}

type ownerRequest struct {
	UserID string `json:"user_id"`
}

func (s *Server) postReservation(c echo.Context) error {
	user, err := s.actor(c)
	if err != nil {
		return err
	}
	if wait, ok := s.limiter.allow(user); !ok {
		c.Response().Header().Set("Retry-After", wait)
		return problem(http.StatusTooManyRequests, "rate_limited", "too many reservation attempts, retry later")
	}
	r, err := s.app.Commands.Reserve.Handle(c.Request().Context(), app.Reserve{PromoID: c.Param("promo_id"), UserID: user})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if r.Existing {
		status = http.StatusOK
	}
	return c.JSON(status, reservationOut(r.ReservationView))
}

func (s *Server) purchase(c echo.Context) error {
	user, err := s.actor(c)
	if err != nil {
		return err
	}
	cmd := app.Purchase{ReservationID: c.Param("reservation_id"), UserID: user}
	return reservationResult(c)(s.app.Commands.Purchase.Handle(c.Request().Context(), cmd))
}

func (s *Server) release(c echo.Context) error {
	user, err := actingUser(c, c.QueryParam("user_id"))
	if err != nil {
		return err
	}
	cmd := app.Release{ReservationID: c.Param("reservation_id"), UserID: user}
	return reservationResult(c)(s.app.Commands.Release.Handle(c.Request().Context(), cmd))
}

func (s *Server) getReservation(c echo.Context) error {
	q := app.GetReservation{ID: c.Param("reservation_id")}
	r, err := s.app.Queries.Reservation.Handle(c.Request().Context(), q)
	if err == nil {
		err = mayRead(c, r.UserID)
	}
	return reservationResult(c)(r, err)
}

// actor reads the body of a reservation command, {"user_id"} with the id
// optional for a client, and says which user the command acts for.
func (s *Server) actor(c echo.Context) (string, error) {
	var req ownerRequest
	if c.Request().ContentLength != 0 { // no body at all is a client acting as itself
		if err := decode(c, &req); err != nil {
			return "", err
		}
	}
	return actingUser(c, req.UserID)
}

func reservationResult(c echo.Context) func(app.ReservationView, error) error {
	return func(r app.ReservationView, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, reservationOut(r))
	}
}
