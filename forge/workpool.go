package forge

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// workPool runs jobs queued in the database on a bounded number of workers, started on first
// need. A job is claimed by claim (once: the claim is one UPDATE under the single writer), so
// that nothing but the database decides who runs what; the pool only knows which of its jobs
// are running, to stop them promptly. The deploy runner and the agent runner each have one.
type workPool struct {
	name    string
	workers int
	claim   func(ctx context.Context) (id int64, ok bool, err error)
	run     func(ctx context.Context, id int64)
	log     *slog.Logger
	bg      *sync.WaitGroup

	mu      sync.Mutex
	started bool
	closed  bool
	ctx     context.Context
	stop    context.CancelFunc
	wakeCh  chan struct{}
	running map[int64]context.CancelCauseFunc
}

func newWorkPool(name string, workers int, bg *sync.WaitGroup, log *slog.Logger,
	claim func(context.Context) (int64, bool, error), run func(context.Context, int64)) *workPool {
	ctx, stop := context.WithCancel(context.Background())
	return &workPool{
		name:    name,
		workers: workers,
		claim:   claim,
		run:     run,
		log:     log,
		bg:      bg,
		ctx:     ctx,
		stop:    stop,
		wakeCh:  make(chan struct{}, workers),
		running: map[int64]context.CancelCauseFunc{},
	}
}

// wake starts the workers if they are not running, and has one look at the queue.
func (p *workPool) wake() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	if !p.started {
		p.started = true
		for range p.workers {
			p.bg.Add(1)
			go p.worker()
		}
	}
	p.mu.Unlock()
	select {
	case p.wakeCh <- struct{}{}:
	default:
	}
}

// cancel stops job id with cause, if it is running here.
func (p *workPool) cancel(id int64, cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if stop := p.running[id]; stop != nil {
		stop(cause)
	}
}

// track records job id as running until the returned func is called; cancel stops it
// through stop.
func (p *workPool) track(id int64, stop context.CancelCauseFunc) (untrack func()) {
	p.mu.Lock()
	p.running[id] = stop
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		delete(p.running, id)
		p.mu.Unlock()
	}
}

// begin makes the contexts of claimed job id: run ends when the job is canceled (cancel)
// or the pool closes, with the cause; keep is not canceled with it, for the job's own
// writes (its progress, and its end, which is written even at shutdown: finishing bounds
// those last writes). end releases them.
func (p *workPool) begin(ctx context.Context, id int64) (run, keep context.Context,
	stop context.CancelCauseFunc, end func()) {
	run, stop = context.WithCancelCause(ctx)
	untrack := p.track(id, stop)
	return run, context.WithoutCancel(ctx), stop, func() {
		untrack()
		stop(nil)
	}
}

// finishing bounds the last writes of a job that has ended, made on keep (begin).
func finishing(keep context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(keep, d)
}

// every calls fn every interval, in a goroutine of its own, until the returned func is
// called, which returns once fn has run for the last time.
func every(interval time.Duration, fn func()) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fn()
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// close stops the workers; the contexts of running jobs are canceled.
func (p *workPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.stop()
}

// worker claims queued jobs and runs them until the pool closes.
func (p *workPool) worker() {
	defer p.bg.Done()
	ctx := p.ctx
	for {
		id, ok, err := p.claim(ctx)
		switch {
		case ok:
			p.run(ctx, id)
			continue
		case ctx.Err() != nil:
			return
		case err != nil:
			p.log.Error("claim a queued job", "queue", p.name, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wakeCh:
		}
	}
}
