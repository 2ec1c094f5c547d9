package io.ddp4j.tensor;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs each test inside its own {@link Scope}, so every tensor a test makes is freed when it ends:
 * {@code @ExtendWith(ScopePerTest.class)} on the test class.
 */
public final class ScopePerTest implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ScopePerTest.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NAMESPACE).put(context.getUniqueId(), Scope.open());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Scope scope = context.getStore(NAMESPACE).remove(context.getUniqueId(), Scope.class);
        if (scope != null) scope.close();
    }
}
