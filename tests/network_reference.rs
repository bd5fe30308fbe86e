//! The tutorial's whole network against PyTorch (`fixtures/seed_cnn_*.safetensors`): every
//! activation, the loss, every gradient, the parameters after one Adam step and the losses after
//! four. Runs natively and in the browser.
//!
//! Produced by PyTorch 2.15 (float32, CPU) with:
//!   torch.manual_seed(0); model = CNN()                      # → seed_cnn_init
//!   x = test_images[:8] / 255; y = test_labels[:8]
//!   loss = F.cross_entropy(model(x), y); loss.backward()     # → act.*, loss, grad.*
//!   opt = torch.optim.Adam(model.parameters(), lr=1e-3); opt.step()   # → adam1.*
//!   then three more forward/backward/step on the same batch  # → adam.losses_after_steps_1_to_4

mod common;

use cnn_playground::io::checkpoint;
use cnn_playground::nn::loss::softmax_cross_entropy;
use cnn_playground::nn::{Mode, Model, ModelSpec};
use cnn_playground::optim::OptimizerSpec;
use common::*;
use ndarray::ArrayD;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const PARAMS: [&str; 8] = [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
];

/// The tutorial's network with PyTorch's initial weights, and the reference batch.
fn setup() -> (Model, ArrayD<f32>, Vec<u8>) {
    let mut model = Model::new(&ModelSpec::tutorial(), 0).unwrap();
    checkpoint::load_into(&mut model, SEED_CNN_INIT).expect("PyTorch's state_dict loads");
    let batch = load(SEED_CNN_BATCH);
    let (x, shape) = f32s(&batch, "input");
    let labels = i64s(&batch, "labels").iter().map(|&l| l as u8).collect();
    (model, ArrayD::from_shape_vec(shape, x).unwrap(), labels)
}

#[test]
fn every_activation_matches_pytorch() {
    let (mut model, x, _) = setup();
    let batch = load(SEED_CNN_BATCH);
    let acts = model.activations(&x).unwrap();
    let names: Vec<&str> = acts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flat", "fc1", "relu3", "fc2"]
    );
    for (name, a) in &acts {
        let reference = match name.as_str() {
            "fc2" => "act.logits".to_string(),
            other => format!("act.{other}"),
        };
        let (want, shape) = f32s(&batch, &reference);
        assert_eq!(a.shape(), &shape[..], "{name} shape");
        check_tensor(name, a.as_slice().unwrap(), &want, 1e-4, 1e-5);
    }
}

/// The mean cross-entropy and dL/dlogits.
fn loss_and_gradient(logits: &ArrayD<f32>, labels: &[u8]) -> (f32, Vec<f32>) {
    let mut grad = vec![0.0; logits.len()];
    let loss = softmax_cross_entropy(logits.as_slice().unwrap(), labels, 0.0, &mut grad);
    (loss, grad)
}

#[test]
fn loss_and_every_gradient_match_pytorch() {
    let (mut model, x, labels) = setup();
    let batch = load(SEED_CNN_BATCH);
    let logits = model.forward(&x, Mode::Train).unwrap();
    let (loss, dlogits) = loss_and_gradient(&logits, &labels);
    check_tensor("loss", &[loss], &f32s(&batch, "loss").0, 1e-5, 1e-5);
    let dx = model
        .backward(&dlogits, true)
        .expect("input gradient asked for");
    check_grad("grad.input", dx, &f32s(&batch, "grad.input").0, 1e-4);
    for (name, p) in model.named_params() {
        check_grad(
            &format!("grad.{name}"),
            p.grad.as_slice().unwrap(),
            &f32s(&batch, &format!("grad.{name}")).0,
            1e-4,
        );
    }
    let names: Vec<String> = model.named_params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, PARAMS, "PyTorch's parameter names, in order");
}

#[test]
fn adam_steps_match_pytorch() {
    let (mut model, x, labels) = setup();
    let batch = load(SEED_CNN_BATCH);
    let mut adam = OptimizerSpec::adam(1e-3).build().unwrap();
    let mut step = |model: &mut Model| {
        model.zero_grad();
        let logits = model.forward(&x, Mode::Train).unwrap();
        let (loss, dlogits) = loss_and_gradient(&logits, &labels);
        model.backward(&dlogits, false);
        adam.step(&mut model.params_mut());
        loss
    };
    step(&mut model);
    for (name, p) in model.named_params() {
        check_tensor(
            &format!("adam1.{name}"),
            p.value.as_slice().unwrap(),
            &f32s(&batch, &format!("adam1.{name}")).0,
            1e-5,
            1e-4,
        );
    }
    // The loss after steps 1, 2, 3, 4 is the loss computed before steps 2, 3, 4, 5.
    let losses: Vec<f32> = (0..4).map(|_| step(&mut model)).collect();
    check_tensor(
        "losses after Adam steps 1-4",
        &losses,
        &f32s(&batch, "adam.losses_after_steps_1_to_4").0,
        1e-5,
        1e-4,
    );
}

#[test]
fn a_saved_model_loads_back_with_the_same_logits() {
    let (mut model, x, _) = setup();
    let bytes = checkpoint::save(&model, None);
    let mut again = checkpoint::load(&bytes).unwrap().model;
    assert_eq!(again.spec(), model.spec());
    let a = model.forward(&x, Mode::Eval).unwrap();
    let b = again.forward(&x, Mode::Eval).unwrap();
    assert_eq!(a, b, "a round trip changes no bit");
    check_tensor(
        "logits from the reference init",
        b.as_slice().unwrap(),
        &f32s(&load(SEED_CNN_BATCH), "act.logits").0,
        1e-4,
        1e-5,
    );
}

#[test]
fn mismatched_checkpoints_are_refused_naming_the_tensor() {
    let mut model = Model::new(&ModelSpec::tutorial(), 1).unwrap();
    let mut wider = ModelSpec::tutorial();
    wider.layers[7] = cnn_playground::nn::LinearSpec::new(64).into();
    let other = checkpoint::save(&Model::new(&wider, 0).unwrap(), None);
    let err = checkpoint::load_into(&mut model, &other)
        .unwrap_err()
        .to_string();
    assert!(err.contains("fc1.weight"), "{err}");
    let err = checkpoint::load_into(&mut model, b"definitely not safetensors")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("This is a text file, not a model."),
        "{err}"
    );
    let bn = checkpoint::save(&Model::new(&ModelSpec::improved(), 0).unwrap(), None);
    let err = checkpoint::load_into(&mut model, &bn)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bn1"), "{err}");
    // The model was left as it was: its weights are still its own.
    let fresh = Model::new(&ModelSpec::tutorial(), 1).unwrap();
    assert_eq!(
        model.named_params()[0].1.value,
        fresh.named_params()[0].1.value
    );
}

#[test]
fn a_batch_norm_model_round_trips_with_its_running_statistics() {
    let mut model = Model::new(&ModelSpec::improved(), 3).unwrap();
    let (_, x, _) = setup();
    model.forward(&x, Mode::Train).unwrap();
    let bytes = checkpoint::save(&model, None);
    let mut again = checkpoint::load(&bytes).unwrap().model;
    assert_eq!(
        model.forward(&x, Mode::Eval).unwrap(),
        again.forward(&x, Mode::Eval).unwrap()
    );
    let names: Vec<String> = again.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&"bn1.num_batches_tracked".to_string()),
        "{names:?}"
    );
}

#[test]
fn our_files_have_pytorchs_names_shapes_and_dtypes() {
    // PyTorch's own file is the yardstick: `load_state_dict` takes ours if the tensors match.
    let ours_bytes = checkpoint::save(&Model::new(&ModelSpec::tutorial(), 5).unwrap(), None);
    let ours = safetensors::SafeTensors::deserialize(&ours_bytes).unwrap();
    let theirs = load(SEED_CNN_INIT);
    let mut names = ours.names();
    names.sort_unstable();
    let mut want = theirs.names();
    want.sort_unstable();
    assert_eq!(names, want);
    for name in want {
        let (a, b) = (ours.tensor(name).unwrap(), theirs.tensor(name).unwrap());
        assert_eq!((a.dtype(), a.shape()), (b.dtype(), b.shape()), "{name}");
    }
    let spec = checkpoint::read_spec(&ours_bytes)
        .unwrap()
        .expect("the architecture travels in the metadata");
    assert_eq!(spec, ModelSpec::tutorial());
    assert_eq!(
        checkpoint::read_spec(SEED_CNN_INIT).unwrap(),
        None,
        "PyTorch's file has none: the tutorial's is assumed"
    );
}
