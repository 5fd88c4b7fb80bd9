package app

import (
	"context"
	"log/slog"
)

// EventLog is the global log analysts page through: up to q.Limit events
// after position q.After, of q.Stream and q.Type when set
// (ErrUnknownPosition when After names no event).
type EventLog interface {
	ReadAll(ctx context.Context, q EventQuery) ([]EventView, error)
}

// Commands change state.
type Commands struct {
	CreatePromo    Handler[CreatePromo, CreatedPromo]
	CancelPromo    Handler[CancelPromo, PromoView]
	CreateSeries   Handler[CreateSeries, SeriesCreated]
	CancelSeries   Handler[CancelSeries, SeriesView]
	RegisterUser   Handler[RegisterUser, UserView]
	RegisterUsers  Handler[RegisterUsers, int]
	MoveUser       Handler[MoveUser, UserView]
	RecordPurchase Handler[RecordPurchase, UserView]
	Reserve        Handler[Reserve, Reserved]
	Purchase       Handler[Purchase, ReservationView]
	Release        Handler[Release, ReservationView]
	// The process managers' commands.
	Tick           Handler[Tick, Ticked]
	ExpireHolds    Handler[ExpireHolds, int]
	NotifyEligible Handler[NotifyEligible, int]
	Rebuild        Handler[RebuildProjection, struct{}]
}

// Queries read state, from memory but for the event log.
type Queries struct {
	Promo         Handler[GetPromo, PromoView]
	Promos        Handler[ListPromos, []PromoView]
	Series        Handler[GetSeries, SeriesView]
	User          Handler[GetUser, UserView]
	UserPromos    Handler[UserPromos, []VisiblePromo]
	Notifications Handler[UserNotifications, []NotificationView]
	Reservation   Handler[GetReservation, ReservationView]
	Events        Handler[ReadEvents, EventPage]
	Projections   Handler[ListProjections, []ProjectionStatus]
}

// Application is every use case, decorated with logging and metrics.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Deps are what the application is built from.
type Deps struct {
	Config      Config
	Clock       Clock
	IDs         IDs
	Repo        Repository
	Read        ReadModel
	Log         EventLog
	Projections Projections
	Logger      *slog.Logger
	Observer    Observer
}

// New builds the application: each handler with the parts of d it needs.
func New(d Deps) Application {
	locks := newLocks()
	promos := &promoDesk{cfg: d.Config, clock: d.Clock, ids: d.IDs, repo: d.Repo, read: d.Read, locks: locks}
	promos.promos = newPromoQueues(promos.runBatch)
	users := &userDesk{cfg: d.Config, clock: d.Clock, repo: d.Repo, read: d.Read, locks: locks}
	series := &seriesDesk{cfg: d.Config, clock: d.Clock, ids: d.IDs, repo: d.Repo, read: d.Read, locks: locks}
	fan := &fanout{cfg: d.Config, clock: d.Clock, ids: d.IDs, repo: d.Repo, read: d.Read}
	promoQ := &promoQueries{read: d.Read, repo: d.Repo, clock: d.Clock}
	userQ := &userQueries{read: d.Read, clock: d.Clock}
	reservationQ := &reservationQuery{read: d.Read, repo: d.Repo, clock: d.Clock}
	eventQ := &eventQuery{log: d.Log}
	l, o := d.Logger, d.Observer
	return Application{
		Commands: Commands{
			CreatePromo:    decorate("create_promo", HandlerFunc[CreatePromo, CreatedPromo](promos.createPromo), l, o),
			CancelPromo:    decorate("cancel_promo", HandlerFunc[CancelPromo, PromoView](promos.cancelPromo), l, o),
			CreateSeries:   decorate("create_series", HandlerFunc[CreateSeries, SeriesCreated](series.createSeries), l, o),
			CancelSeries:   decorate("cancel_series", HandlerFunc[CancelSeries, SeriesView](series.cancelSeries), l, o),
			RegisterUser:   decorate("register_user", HandlerFunc[RegisterUser, UserView](users.registerUser), l, o),
			RegisterUsers:  decorate("register_users", HandlerFunc[RegisterUsers, int](users.registerUsers), l, o),
			MoveUser:       decorate("move_user", HandlerFunc[MoveUser, UserView](users.moveUser), l, o),
			RecordPurchase: decorate("record_purchase", HandlerFunc[RecordPurchase, UserView](users.recordPurchase), l, o),
			Reserve:        decorate("reserve", HandlerFunc[Reserve, Reserved](promos.reserve), l, o),
			Purchase:       decorate("purchase", HandlerFunc[Purchase, ReservationView](promos.purchase), l, o),
			Release:        decorate("release", HandlerFunc[Release, ReservationView](promos.release), l, o),
			Tick:           decorate("tick", HandlerFunc[Tick, Ticked](promos.tick), l, o),
			ExpireHolds:    decorate("expire_holds", HandlerFunc[ExpireHolds, int](promos.expireHolds), l, o),
			NotifyEligible: decorate("notify_eligible", HandlerFunc[NotifyEligible, int](fan.notifyEligible), l, o),
			Rebuild: decorate("rebuild_projection", HandlerFunc[RebuildProjection, struct{}](
				func(ctx context.Context, c RebuildProjection) (struct{}, error) {
					return struct{}{}, d.Projections.Rebuild(ctx, c.Name)
				}), l, o),
		},
		Queries: Queries{
			Promo:         decorate("get_promo", HandlerFunc[GetPromo, PromoView](promoQ.get), l, o),
			Promos:        decorate("list_promos", HandlerFunc[ListPromos, []PromoView](promoQ.list), l, o),
			Series:        decorate("get_series", HandlerFunc[GetSeries, SeriesView](series.getSeries), l, o),
			User:          decorate("get_user", HandlerFunc[GetUser, UserView](userQ.get), l, o),
			UserPromos:    decorate("user_promos", HandlerFunc[UserPromos, []VisiblePromo](userQ.promos), l, o),
			Notifications: decorate("user_notifications", HandlerFunc[UserNotifications, []NotificationView](userQ.notifications), l, o),
			Reservation:   decorate("get_reservation", HandlerFunc[GetReservation, ReservationView](reservationQ.get), l, o),
			Events:        decorate("read_events", HandlerFunc[ReadEvents, EventPage](eventQ.read), l, o),
			Projections: decorate("list_projections", HandlerFunc[ListProjections, []ProjectionStatus](
				func(ctx context.Context, _ ListProjections) ([]ProjectionStatus, error) {
					return d.Projections.Status(ctx)
				}), l, o),
		},
	}
}
