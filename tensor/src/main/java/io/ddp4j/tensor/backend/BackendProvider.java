package io.ddp4j.tensor.backend;

import io.ddp4j.tensor.Device;

import java.util.Optional;

/**
 * How a device backend joins in without the tensor module knowing it: a class named in
 * {@code META-INF/services/io.ddp4j.tensor.backend.BackendProvider} (the CUDA backend's), asked
 * for each device type the first time a tensor needs it.
 */
public interface BackendProvider {

    /** The backend for {@code device}, or empty if this provider does not serve it. */
    Optional<Backend> backendFor(Device device);
}
