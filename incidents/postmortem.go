package incidents

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/notifier"
)

// Publication is how a postmortem is published, with Statuspage's options.
type Publication struct {
	NotifySubscribers bool
	// NotifyTwitter and CustomTweet are recorded only: Beacon does not
	// post to Twitter.
	NotifyTwitter bool
	CustomTweet   string
}

// maxTweet bounds the recorded custom tweet, as Twitter bounds a tweet.
const maxTweet = 280

// Postmortem returns the postmortem of incident id, or ErrNotFound when the
// incident has none.
func (s *Service) Postmortem(ctx context.Context, id string) (PostmortemInfo, error) {
	in, err := s.Get(ctx, id)
	if err != nil {
		return PostmortemInfo{}, err
	}
	if !in.Postmortem.Exists() {
		return PostmortemInfo{}, fmt.Errorf("incidents: postmortem of %s: %w", id, ErrNotFound)
	}
	return in.Postmortem, nil
}

// DeletePostmortem removes the postmortem of incident id, draft and
// published text alike; a published one leaves the page and the incident
// goes back to resolved. It returns the postmortem as it was.
func (s *Service) DeletePostmortem(ctx context.Context, id string) (PostmortemInfo, error) {
	var deleted PostmortemInfo
	_, err := s.editPostmortem(ctx, id, func(in *Incident) (*notifier.Event, error) {
		if !in.Postmortem.Exists() {
			return nil, fmt.Errorf("incidents: postmortem of %s: %w", id, ErrNotFound)
		}
		deleted = in.Postmortem
		if in.Status == Postmortem {
			in.Status = Resolved
		}
		in.Postmortem = PostmortemInfo{}
		return nil, nil
	})
	return deleted, err
}

// draftPostmortem sets the draft, creating the postmortem (with its
// preview key) on first use.
func (s *Service) draftPostmortem(p *PostmortemInfo, draft string) {
	now := s.now()
	if !p.Exists() {
		p.CreatedAt = &now
		p.PreviewKey = rand.Text()
	}
	p.Draft, p.DraftUpdatedAt, p.UpdatedAt = draft, &now, &now
}

// publish copies the draft into the published body.
func (s *Service) publish(p *PostmortemInfo, pub Publication, now time.Time) {
	if p.Body != p.Draft || p.BodyUpdatedAt == nil {
		p.BodyUpdatedAt = &now
	}
	p.Body = p.Draft
	p.PublishedAt, p.UpdatedAt = &now, &now
	p.NotifiedSubscribers, p.NotifyTwitter, p.CustomTweet = pub.NotifySubscribers, pub.NotifyTwitter, pub.CustomTweet
}

func (p Publication) validate() error {
	if utf8.RuneCountInString(p.CustomTweet) > maxTweet {
		return invalid("custom_tweet", "is too long (maximum is %d characters)", maxTweet)
	}
	return nil
}
