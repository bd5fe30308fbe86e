//! Light augmentation: shifting an image by a few pixels (zeros shifted in), so the network sees
//! each digit in slightly different places.

use crate::rng::Rng;

/// Shifts an image (rows×cols, row-major) by up to `max_shift` pixels in each direction, chosen
/// by `rng`.
pub fn random_shift(image: &mut [f32], rows: usize, cols: usize, max_shift: usize, rng: &mut Rng) {
    let span = 2 * max_shift + 1;
    let dy = rng.below(span) as isize - max_shift as isize;
    let dx = rng.below(span) as isize - max_shift as isize;
    if dx == 0 && dy == 0 {
        return;
    }
    let src = image.to_vec();
    for r in 0..rows as isize {
        for c in 0..cols as isize {
            let (sr, sc) = (r - dy, c - dx);
            let inside = (0..rows as isize).contains(&sr) && (0..cols as isize).contains(&sc);
            image[(r * cols as isize + c) as usize] = if inside {
                src[(sr * cols as isize + sc) as usize]
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifting_moves_pixels_and_keeps_their_values() {
        let mut rng = Rng::new(5);
        for _ in 0..20 {
            let mut img = vec![0.0; 49];
            img[3 * 7 + 3] = 1.0;
            random_shift(&mut img, 7, 7, 2, &mut rng);
            assert_eq!(img.iter().sum::<f32>(), 1.0, "a centred pixel stays inside");
            let at = img.iter().position(|&v| v == 1.0).unwrap();
            assert!((at / 7).abs_diff(3) <= 2 && (at % 7).abs_diff(3) <= 2);
        }
    }
}
