//! Preprocessing against scikit-learn's scalers (numbers computed with `StandardScaler` and
//! `MinMaxScaler` on the rows below), the seeded split, and augmentation.

use micrograd::augment::{transform_image, Augment};
use micrograd::data::Dataset;
use micrograd::nn::Chw;
use micrograd::preprocess::{train_test_split, Preprocess, Scaling};
use rand::SeedableRng;

fn data() -> Dataset {
    Dataset::new(
        vec![
            vec![1.0, 10.0, 5.0],
            vec![2.0, 30.0, 5.0],
            vec![4.0, 20.0, 5.0],
            vec![9.0, 60.0, 5.0],
        ],
        vec![0, 1, 0, 1],
        2,
    )
    .unwrap()
}

#[test]
fn standardize_matches_scikit_learn() {
    // StandardScaler().fit(X): mean_ = [4, 30, 5], scale_ = [3.0822070014844883,
    // 18.708286933869708, 1.0] (a constant column gets scale 1).
    let pre = Preprocess::fit(Scaling::Standardize, &data());
    assert_eq!(pre.shift(), &[4.0, 30.0, 5.0]);
    let want = [3.082_207_001_484_488_3, 18.708_286_933_869_708, 1.0];
    for (a, b) in pre.scale().iter().zip(want) {
        assert!((a - b).abs() < 1e-15, "{a} vs {b}");
    }
    let t = pre.transform(&data());
    // transform(X)[0] = [-0.97332853, -1.06904497, 0.0]
    assert!((t.row(0)[0] + 0.973_328_526_784_575_2).abs() < 1e-15);
    assert!((t.row(0)[1] + 1.069_044_967_649_697_6).abs() < 1e-15);
    assert_eq!(t.row(0)[2], 0.0);
    assert_eq!(t.labels(), data().labels());
}

#[test]
fn min_max_matches_scikit_learn() {
    // MinMaxScaler().fit_transform(X)[:, 0] = [0, 0.125, 0.375, 1]
    let pre = Preprocess::fit(Scaling::MinMax, &data());
    let t = pre.transform(&data());
    let col: Vec<f64> = t.features().iter().map(|r| r[0]).collect();
    assert_eq!(col, [0.0, 0.125, 0.375, 1.0]);
    // Fitted on these rows only: a test row outside their range maps outside [0, 1].
    assert_eq!(pre.transform_row(&[17.0, 0.0, 6.0]), vec![2.0, -0.2, 1.0]);
    assert!(Preprocess::from_parts(Scaling::MinMax, vec![0.0], vec![0.0]).is_err());
    assert!(Preprocess::from_parts(Scaling::MinMax, vec![0.0, 1.0], vec![1.0]).is_err());
    let other = Dataset::new(vec![vec![1.0]], vec![0], 1).unwrap();
    assert_eq!(
        pre.check(&other).unwrap_err().message,
        "the minmax transform was fitted on 3 features, the data has 1"
    );
    assert_eq!("min-max".parse::<Scaling>().unwrap(), Scaling::MinMax);
}

#[test]
fn test_split_is_seeded_and_disjoint() {
    let rows: Vec<Vec<f64>> = (0..50).map(|i| vec![i as f64]).collect();
    let d = Dataset::new(rows, vec![0; 50], 1).unwrap();
    let a = train_test_split(&d, 0.2, 3).unwrap();
    let b = train_test_split(&d, 0.2, 3).unwrap();
    let c = train_test_split(&d, 0.2, 4).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.test_rows, c.test_rows);
    assert_eq!((a.train.len(), a.test.len()), (40, 10));
    let mut all: Vec<usize> = a.train_rows.iter().chain(&a.test_rows).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..50).collect::<Vec<_>>());
    assert_eq!(a.test.row(0)[0], a.test_rows[0] as f64);
    assert!(train_test_split(&d, 0.0, 1).is_err());
    assert!(train_test_split(&d, 1.0, 1).is_err());
    assert!(train_test_split(&d, f64::NAN, 1).is_err());
}

#[test]
fn shifts_move_pixels_exactly_and_rotations_turn_them() {
    // A 1×5×5 image with a single bright pixel at (row 1, column 2).
    let mut img = vec![0.0; 25];
    img[7] = 1.0;
    let shape = Chw::new(1, 5, 5);
    let aug = Augment {
        shift: 2,
        ..Augment::default()
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let out = aug.image(&img, shape, &mut rng);
        let ones: Vec<usize> = (0..25).filter(|&i| out[i] == 1.0).collect();
        if let [p] = ones[..] {
            let (dy, dx) = (p as i64 / 5 - 1, p as i64 % 5 - 2);
            assert!(dy.abs() <= 2 && dx.abs() <= 2);
            seen.insert((dy, dx));
            assert_eq!(out.iter().sum::<f64>(), 1.0, "the other pixels stay 0");
        } else {
            // Shifted out of the picture (row 1 moved up by 2).
            assert!(out.iter().all(|&v| v == 0.0));
        }
    }
    assert!(seen.len() >= 15, "many of the 25 shifts occur: {seen:?}");

    // Rotations about the centre (2, 2): +90° takes (row 1, column 2) to (row 2, column 3), exactly
    // up to the rounding of cos 90°; 45° spreads it between neighbours, keeping its mass.
    let turned = transform_image(&img, shape, 0.0, 0.0, 90.0);
    assert!((turned[13] - 1.0).abs() < 1e-12, "{turned:?}");
    assert!((turned.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let back = transform_image(&img, shape, 0.0, 0.0, -90.0);
    assert!((back[11] - 1.0).abs() < 1e-12, "{back:?}");
    let half = transform_image(&img, shape, 0.0, 0.0, 45.0);
    assert!(half.iter().all(|&v| v < 0.9) && half.iter().filter(|&&v| v > 0.0).count() >= 2);
    // Shift then rotate: one column right, then +90°, lands on (row 3, column 3).
    let both = transform_image(&img, shape, 1.0, 0.0, 90.0);
    assert!((both[18] - 1.0).abs() < 1e-12, "{both:?}");
    let same = Augment::default().image(&img, shape, &mut rng);
    assert_eq!(same, img);
}

#[test]
fn augmentation_is_seeded_and_parsed() {
    let d = micrograd::datasets::digits();
    let aug: Augment = "shift=1, rotate=10".parse().unwrap();
    assert_eq!(aug.to_string(), "shift=1,rotate=10");
    let small = d.data().subset(&[0, 1, 2, 3]);
    let a = aug.dataset(&small, Some(d.shape()), 5);
    let b = aug.dataset(&small, Some(d.shape()), 5);
    let c = aug.dataset(&small, Some(d.shape()), 6);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a.features(), small.features());
    assert_eq!(a.labels(), small.labels());
    let jitter: Augment = "jitter=0.5".parse().unwrap();
    let pts = Dataset::new(vec![vec![0.0; 2000]], vec![0], 1).unwrap();
    let j = jitter.dataset(&pts, None, 1);
    let var = j.row(0).iter().map(|v| v * v).sum::<f64>() / 2000.0;
    assert!((var / 0.25 - 1.0).abs() < 0.1, "variance {var}");
    for bad in ["shift=-1", "rotate=200", "spin=3", "shift", "jitter=nan"] {
        assert!(bad.parse::<Augment>().is_err(), "{bad}");
    }
    assert!("none".parse::<Augment>().unwrap().is_identity());
}

#[test]
fn a_constant_column_is_shifted_to_zero_even_where_its_mean_rounds() {
    // 0.1 seven times sums to 0.7000000000000001: the mean is not 0.1, and the spread of the
    // rounding error, about 1e-17, was taken for a standard deviation (a row of 0.2 became 7e15).
    let rows: Vec<Vec<f64>> = (0..7).map(|i| vec![f64::from(i), 0.1]).collect();
    let data = Dataset::new(rows, vec![0, 1, 0, 1, 0, 1, 0], 2).unwrap();
    let pre = Preprocess::fit(Scaling::Standardize, &data);
    assert_eq!((pre.shift()[1], pre.scale()[1]), (0.1, 1.0));
    assert_eq!(pre.transform_row(&[0.0, 0.1])[1], 0.0);
    assert_eq!(pre.transform_row(&[0.0, 0.2])[1], 0.2 - 0.1);
}

#[test]
fn huge_finite_values_standardize_without_overflowing() {
    // 1e300² overflows: the variance was inf, the column left unscaled (scale 1).
    let rows = vec![vec![1e300], vec![-1e300], vec![3e300], vec![-3e300]];
    let data = Dataset::new(rows, vec![0, 1, 0, 1], 2).unwrap();
    let pre = Preprocess::fit(Scaling::Standardize, &data);
    assert_eq!(pre.shift()[0], 0.0);
    let want = 5f64.sqrt() * 1e300;
    assert!(
        (pre.scale()[0] / want - 1.0).abs() < 1e-12,
        "{}",
        pre.scale()[0]
    );
    let t = pre.transform(&data);
    assert!((t.row(2)[0] - 3.0 / 5f64.sqrt()).abs() < 1e-12);
    let rows = vec![vec![1.7e308], vec![1.7e308], vec![1.6e308]];
    let data = Dataset::new(rows, vec![0, 1, 0], 2).unwrap();
    let pre = Preprocess::fit(Scaling::Standardize, &data);
    assert!(pre.shift()[0].is_finite() && pre.scale()[0].is_finite());
    assert!(Preprocess::from_parts(
        Scaling::Standardize,
        pre.shift().to_vec(),
        pre.scale().to_vec()
    )
    .is_ok());
}

#[test]
fn a_huge_jitter_saturates_instead_of_panicking() {
    // jitter=1e308 parses (a finite number); the noise overflowed to inf and `dataset` panicked.
    let aug: Augment = "jitter=1e308".parse().unwrap();
    let pts = Dataset::new(vec![vec![0.0; 200], vec![1e308; 200]], vec![0, 1], 2).unwrap();
    let big = aug.expand(&pts, None, 3, 1);
    assert_eq!(big.len(), 8);
    assert!(big.features().iter().flatten().all(|v| v.is_finite()));
    assert!(big
        .features()
        .iter()
        .flatten()
        .any(|&v| v == f64::MAX || v == -f64::MAX));
    let nan = Augment {
        jitter: f64::NAN,
        ..Augment::default()
    };
    assert_eq!(nan.dataset(&pts, None, 1), pts);
}
