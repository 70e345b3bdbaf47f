package aws

import (
	"context"
	"fmt"
	"slices"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

// FindKeyGroup returns the key group whose name or ID is nameOrID.
func (c *CloudFront) FindKeyGroup(ctx context.Context, nameOrID string) (KeyGroupInfo, error) {
	groups, err := c.ListKeyGroups(ctx)
	if err != nil {
		return KeyGroupInfo{}, err
	}
	for _, g := range groups {
		if g.ID == nameOrID || g.Name == nameOrID {
			return g, nil
		}
	}
	return KeyGroupInfo{}, fmt.Errorf("no key group named %s", nameOrID)
}

// GroupsWithKey returns the key groups holding keyID.
func (c *CloudFront) GroupsWithKey(ctx context.Context, keyID string) ([]KeyGroupInfo, error) {
	groups, err := c.ListKeyGroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []KeyGroupInfo
	for _, g := range groups {
		if g.Has(keyID) {
			out = append(out, g)
		}
	}
	return out, nil
}

// RemoveKeyFromGroup takes the public key ID out of the key group, with
// UpdateKeyGroup conditional on the group's ETag (read again and retried
// when someone changed the group in between). A key not in the group is a
// no-op (changed=false); the group's last key is refused, as CloudFront
// needs at least one.
func (c *CloudFront) RemoveKeyFromGroup(ctx context.Context, groupID, keyID string) (g KeyGroupInfo, changed bool, err error) {
	what := "remove key " + keyID + " from"
	return c.editKeyGroup(ctx, groupID, what, func(cur KeyGroupInfo) ([]string, error) {
		if !cur.Has(keyID) {
			return nil, nil
		}
		if len(cur.KeyIDs) == 1 {
			return nil, fmt.Errorf("%s key group %s: it is the group's only key and CloudFront needs one; rotate first ('cfsign keys rotate')", what, cfGroupLabel(cur))
		}
		return slices.DeleteFunc(slices.Clone(cur.KeyIDs), func(id string) bool { return id == keyID }), nil
	})
}

// DeletePublicKey deletes a CloudFront public key (conditional on its
// ETag). CloudFront refuses while a key group still holds it.
func (c *CloudFront) DeletePublicKey(ctx context.Context, keyID string) error {
	got, err := c.api.GetPublicKey(ctx, &cloudfront.GetPublicKeyInput{Id: sdkaws.String(keyID)})
	if err != nil {
		if cfErrorCode(err) == "NoSuchPublicKey" {
			return fmt.Errorf("delete public key %s: no such public key", keyID)
		}
		return fmt.Errorf("delete public key %s: %w", keyID, err)
	}
	_, err = c.api.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: sdkaws.String(keyID), IfMatch: got.ETag})
	if err != nil {
		if cfErrorCode(err) == "PublicKeyInUse" {
			return fmt.Errorf("delete public key %s: a key group still holds it; remove it from every group first", keyID)
		}
		return fmt.Errorf("delete public key %s: %w", keyID, err)
	}
	return nil
}
