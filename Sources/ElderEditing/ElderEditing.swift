import ElderModel
import ElderTensor

/// ElderEditing: the mixture-of-LoRA adapter, routers, guided loss, deferral, the edit trainer and baselines.
public enum ElderEditingInfo {
    public static let moduleName = "ElderEditing"
}
