//! Fitting an image to a dataset's size: centre-cropped to the target's aspect, then resized by
//! area averaging (each output pixel is the mean of the source area it covers, counting pixels
//! cut by its edges in part, as OpenCV's `INTER_AREA` when shrinking). The page and the CLI
//! resize with this one function, so a photo becomes the same input in both.

use super::Image;

/// For each output index, the source indices it covers and their shares (summing to 1).
fn weights(start: f64, span: f64, source: usize, out: usize) -> Vec<Vec<(usize, f32)>> {
    let step = span / out as f64;
    (0..out)
        .map(|o| {
            let (a, b) = (start + o as f64 * step, start + (o + 1) as f64 * step);
            let first = (a.floor() as usize).min(source - 1);
            let last = ((b.ceil() as usize).max(first + 1)).min(source);
            (first..last)
                .map(|s| {
                    let cover = (b.min(s as f64 + 1.0) - a.max(s as f64)).max(0.0);
                    (s, (cover / step) as f32)
                })
                .filter(|&(_, w)| w > 0.0)
                .collect()
        })
        .collect()
}

/// `image` centre-cropped to `width:height` and resized to `width×height` by area averaging,
/// with its channels as they are.
pub fn fit(image: &Image, width: usize, height: usize) -> Image {
    let (w, h, c) = (image.width as f64, image.height as f64, image.channels);
    let aspect = width as f64 / height as f64;
    let (crop_w, crop_h) = if w / h > aspect {
        (h * aspect, h)
    } else {
        (w, w / aspect)
    };
    let cols = weights((w - crop_w) / 2.0, crop_w, image.width, width);
    let rows = weights((h - crop_h) / 2.0, crop_h, image.height, height);
    // Rows first (each output row from the source rows it covers), then columns.
    let stride = image.width * c;
    let mut mid = vec![0f32; height * stride];
    for (o, taps) in rows.iter().enumerate() {
        let out = &mut mid[o * stride..(o + 1) * stride];
        for &(s, wt) in taps {
            let src = &image.pixels[s * stride..(s + 1) * stride];
            out.iter_mut()
                .zip(src)
                .for_each(|(m, &p)| *m += wt * p as f32);
        }
    }
    let mut pixels = vec![0u8; width * height * c];
    for r in 0..height {
        let row = &mid[r * stride..(r + 1) * stride];
        for (o, taps) in cols.iter().enumerate() {
            for ch in 0..c {
                let v: f32 = taps.iter().map(|&(s, wt)| wt * row[s * c + ch]).sum();
                pixels[(r * width + o) * c + ch] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Image {
        width,
        height,
        channels: c,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(width: usize, height: usize, f: impl Fn(usize, usize) -> u8) -> Image {
        let pixels = (0..width * height)
            .map(|i| f(i % width, i / width))
            .collect();
        Image::new(width, height, 1, pixels).unwrap()
    }

    #[test]
    fn halving_averages_each_two_by_two_block() {
        let img = gray(4, 2, |x, y| (x * 10 + y * 100) as u8);
        let out = fit(&img, 2, 1);
        assert_eq!(out.pixels, [55, 75]);
    }

    #[test]
    fn the_same_size_is_the_same_image_and_aspect_is_kept_by_cropping() {
        let img = gray(5, 3, |x, y| (x * 7 + y * 31) as u8);
        assert_eq!(fit(&img, 5, 3), img);
        // A 6×2 image to 2×2: the middle 2×2 block (columns 2 and 3), unchanged.
        let wide = gray(6, 2, |x, y| (x * 10 + y) as u8);
        assert_eq!(fit(&wide, 2, 2).pixels, [20, 30, 21, 31]);
    }

    #[test]
    fn shrinking_by_a_fraction_shares_pixels_cut_by_an_edge() {
        // 3×3 to 2×2: the middle column is half in each output pixel.
        let img = gray(3, 3, |x, _| [0, 100, 200][x]);
        // Output 0 covers [0, 1.5): (0 + 0.5·100) / 1.5 = 33.3; output 1: (0.5·100 + 200) / 1.5.
        assert_eq!(fit(&img, 2, 2).pixels, [33, 167, 33, 167]);
        // 3×1 to 2×1 crops to the middle two pixels' width first: [0.5, 2.5).
        let img = gray(3, 1, |x, _| [0, 100, 200][x]);
        assert_eq!(fit(&img, 2, 1).pixels, [50, 150]);
        // Growing repeats pixels.
        assert_eq!(fit(&img, 6, 2).pixels[..6], [0, 0, 100, 100, 200, 200]);
    }

    #[test]
    fn colour_channels_stay_apart() {
        let img = Image::new(2, 1, 3, vec![255, 0, 0, 0, 0, 255]).unwrap();
        assert_eq!(fit(&img, 1, 1).pixels, [128, 0, 128]);
    }
}
