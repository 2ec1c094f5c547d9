package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.pg.Work;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A test collective that completes (or, {@code failing}, fails) only once its gate is open. */
record GatedWork(Work inner, CountDownLatch gate, boolean failing) implements Work {
    @Override
    public void await() {
        await(Duration.ofSeconds(30));
    }

    @Override
    public void await(Duration timeout) {
        try {
            if (!gate.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new DistributedException("gated work: gate never opened");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("interrupted", e);
        }
        if (failing) throw new DistributedException("injected failure of " + inner.description());
        inner.await(timeout);
    }

    @Override public boolean isCompleted() { return gate.getCount() == 0 && inner.isCompleted(); }
    @Override public boolean isSuccess() { return isCompleted() && !failing && inner.isSuccess(); }
    @Override public Optional<Throwable> exception() { return inner.exception(); }
    @Override public String description() { return "gated " + inner.description(); }
}
