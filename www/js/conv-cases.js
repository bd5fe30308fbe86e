// @ts-check
// The tutorial's three convolution animations (from CoolGPU's blog), as numbers. The values are
// PyTorch's, the same as in tests/fixtures/conv_cases.safetensors (anim1, anim2, anim3); the
// explainer panel starts from them and the e2e test checks the page against that file.
//
//   x = torch.tensor(...)                      # input  (1, C, 5, 5)
//   w = torch.tensor(...)                      # weight (1, C, 3, 3)
//   F.conv2d(x, w, b, stride=s, padding=p)     # → (1, 1, 3, 3)

// anim2/anim3: every row of every channel is the same, every kernel row is [-1, 0, 1].
const RAMP = [-2, 1, -1, 2, 0];
const THREE_CHANNELS = Array.from({ length: 3 * 5 }, () => RAMP).flat();
const EDGE_KERNEL = Array.from({ length: 3 * 3 }, () => [-1, 0, 1]).flat();
// anim3 is anim2 again, with one ring of zero padding and stride 2.
const THREE_CHANNEL_CASE = { channels: 3, size: 5, kernel: 3, input: THREE_CHANNELS, weight: EDGE_KERNEL, bias: 1 };

/** Each case: input (C,H,W) with H = W = size, weight (1,C,K,K), bias (null: none), stride, padding. */
export const CASES = {
  anim1: {
    label: '1 channel, stride 1, no padding',
    channels: 1,
    size: 5,
    kernel: 3,
    input: [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3],
    weight: [1, 0, -1, 2, 0, -2, 1, 0, -1],
    bias: null,
    stride: 1,
    padding: 0,
    // PyTorch's output: [6, 6, -1, -1, -1, 6, -1, -8, -1]
  },
  anim2: {
    label: '3 channels plus a bias',
    ...THREE_CHANNEL_CASE,
    stride: 1,
    padding: 0,
    // PyTorch's output: 10 everywhere.
  },
  anim3: {
    label: '3 channels, padding 1, stride 2',
    ...THREE_CHANNEL_CASE,
    stride: 2,
    padding: 1,
    // PyTorch's output: [7, 7, -11, 10, 10, -17, 7, 7, -11]
  },
};
