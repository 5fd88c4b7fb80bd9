package domain

// Replay folds events already stored into a promo, as a read model follows
// the log one event at a time.
func (p *Promo) Replay(history ...Event) {
	for _, e := range history {
		p.apply(e)
	}
	p.version += int64(len(history))
}

// Replay folds events already stored into a user.
func (u *User) Replay(history ...Event) {
	for _, e := range history {
		u.apply(e)
	}
	u.version += int64(len(history))
}
