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
	var req ownerRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.UserID == "" {
		return required("user_id")
	}
	if wait, ok := s.limiter.allow(req.UserID); !ok {
		c.Response().Header().Set("Retry-After", wait)
		return problem(http.StatusTooManyRequests, "rate_limited", "too many reservation attempts, retry later")
	}
	r, err := s.app.Commands.Reserve.Handle(c.Request().Context(), app.Reserve{PromoID: c.Param("promo_id"), UserID: req.UserID})
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
	var req ownerRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.UserID == "" {
		return required("user_id")
	}
	cmd := app.Purchase{ReservationID: c.Param("reservation_id"), UserID: req.UserID}
	return reservationResult(c)(s.app.Commands.Purchase.Handle(c.Request().Context(), cmd))
}

func (s *Server) release(c echo.Context) error {
	user := c.QueryParam("user_id")
	if user == "" {
		return required("user_id")
	}
	cmd := app.Release{ReservationID: c.Param("reservation_id"), UserID: user}
	return reservationResult(c)(s.app.Commands.Release.Handle(c.Request().Context(), cmd))
}

func (s *Server) getReservation(c echo.Context) error {
	q := app.GetReservation{ID: c.Param("reservation_id")}
	return reservationResult(c)(s.app.Queries.Reservation.Handle(c.Request().Context(), q))
}

func reservationResult(c echo.Context) func(app.ReservationView, error) error {
	return func(r app.ReservationView, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, reservationOut(r))
	}
}
