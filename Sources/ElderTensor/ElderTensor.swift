/// ElderTensor: contiguous float32 tensors, BLAS-backed kernels and reverse-mode autodiff.
public enum ElderTensorInfo {
    public static let moduleName = "ElderTensor"
}
